import { describe, expect, it } from 'vitest';
import { loginPath, matchRoute, safeNext } from '../../client/src/lib/routes';

describe('client routes', () => {
  it('matches pages by path, ignoring a trailing slash', () => {
    expect(matchRoute('/').name).toBe('home');
    expect(matchRoute('/login/').name).toBe('login');
    expect(matchRoute('/nope').name).toBe('notFound');
  });

  it('only the login page is open to signed-out users', () => {
    expect(matchRoute('/login').auth).toBe(false);
    expect(matchRoute('/').auth).toBe(true);
    expect(matchRoute('/anything').auth).toBe(true);
  });

  it('accepts only local paths as the page to return to after login', () => {
    expect(safeNext('/lectures/1?x=1')).toBe('/lectures/1?x=1');
    expect(safeNext('//evil.example/')).toBe('/');
    expect(safeNext('/\\evil.example')).toBe('/');
    expect(safeNext('https://evil.example/')).toBe('/');
    expect(safeNext(null)).toBe('/');
  });

  it('carries the page to return to in ?next=', () => {
    expect(loginPath('/')).toBe('/login');
    expect(loginPath('/a?b=1')).toBe('/login?next=%2Fa%3Fb%3D1');
  });
});
