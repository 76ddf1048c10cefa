import { describe, expect, it } from 'vitest';
import { lecturePath, loginPath, matchRoute, routeAllows, safeNext } from '../../client/src/lib/routes';

describe('client routes', () => {
  it('matches pages by path, ignoring a trailing slash', () => {
    expect(matchRoute('/').name).toBe('home');
    expect(matchRoute('/login/').name).toBe('login');
    expect(matchRoute('/nope').name).toBe('notFound');
  });

  it('matches a lecture page and decodes its id', () => {
    const match = matchRoute('/lectures/65f0a1b2c3d4e5f601234567');
    expect(match.name).toBe('lecture');
    expect(match.params).toEqual({ id: '65f0a1b2c3d4e5f601234567' });
    expect(matchRoute(lecturePath('a b')).params.id).toBe('a b');
    expect(matchRoute('/lectures').name).toBe('notFound');
    expect(matchRoute('/lectures/x/y').name).toBe('notFound');
    expect(matchRoute('/lectures/%E0%A4%A').name).toBe('notFound');
  });

  it('opens the studio (课程管理) to lecturers and admins only', () => {
    const studio = matchRoute('/studio');
    expect(studio.name).toBe('studio');
    expect(routeAllows(studio, 'lecturer')).toBe(true);
    expect(routeAllows(studio, 'orgAdmin')).toBe(true);
    expect(routeAllows(studio, 'unitAdmin')).toBe(true);
    expect(routeAllows(studio, 'cadre')).toBe(false);
    expect(routeAllows(studio, 'station')).toBe(false);
    expect(routeAllows(matchRoute('/'), 'cadre')).toBe(true);
  });

  it('opens 我的学习 to cadres and 单位学习统计 to unit and organisation admins', () => {
    const study = matchRoute('/study');
    expect(study.name).toBe('study');
    expect(routeAllows(study, 'cadre')).toBe(true);
    expect(routeAllows(study, 'lecturer')).toBe(false);
    const report = matchRoute('/admin/unit/');
    expect(report.name).toBe('unitReport');
    expect(routeAllows(report, 'unitAdmin')).toBe(true);
    expect(routeAllows(report, 'orgAdmin')).toBe(true);
    expect(routeAllows(report, 'cadre')).toBe(false);
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
