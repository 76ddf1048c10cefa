import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../config';

describe('loadConfig', () => {
  it('gives working defaults when nothing is set', () => {
    const c = loadConfig({});
    expect(c.server).toMatchObject({ host: '127.0.0.1', port: 3000, logLevel: 'info' });
    expect(c.store.uri).toBeUndefined();
    expect(c.auth.sessionTtlSeconds).toBe(8 * 3600);
    expect(c.auth.sessionCacheSeconds).toBe(30);
    expect(c.mediasoup.numWorkers).toBeGreaterThanOrEqual(1);
  });

  it('converts numbers and booleans from the environment', () => {
    const c = loadConfig({ PORT: '8080', COOKIE_SECURE: 'true', MEDIASOUP_NUM_WORKERS: '2', MONGODB_URI: 'mongodb://db.example:27017/portal' });
    expect(c.server.port).toBe(8080);
    expect(c.auth.cookieSecure).toBe(true);
    expect(c.mediasoup.numWorkers).toBe(2);
    expect(c.store.uri).toBe('mongodb://db.example:27017/portal');
  });

  it.each([
    ['PORT', 'abc', /PORT must be an integer from 0 to 65535 \(got "abc"\)/],
    ['PORT', '70000', /PORT must be an integer from 0 to 65535/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL must be one of fatal, error/],
    ['MONGODB_URI', 'postgres://x', /MONGODB_URI must be a MongoDB connection string/],
    ['COOKIE_SECURE', 'maybe', /COOKIE_SECURE must be true or false/],
    ['SESSION_TTL_SECONDS', '0', /SESSION_TTL_SECONDS must be a whole number of at least 1/],
    ['SESSION_CACHE_SECONDS', '1.5', /SESSION_CACHE_SECONDS must be a whole number of at least 1/],
    ['SESSION_SECRET', 'short', /SESSION_SECRET must be at least 32 characters/],
    ['NODE_ENV', 'staging', /NODE_ENV must be development, production or test/],
  ])('rejects %s=%s with a message naming the key', (key, value, message) => {
    expect(() => loadConfig({ [key]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [key]: value })).toThrow(message);
    expect(() => loadConfig({ [key]: value })).toThrow(/^Invalid configuration: /);
  });

  it('rejects an RTC port range that is empty or too small for the workers', () => {
    expect(() => loadConfig({ MEDIASOUP_RTC_MIN_PORT: '50000', MEDIASOUP_RTC_MAX_PORT: '40000' })).toThrow(/MEDIASOUP_RTC_MAX_PORT must be greater/);
    expect(() => loadConfig({ MEDIASOUP_RTC_MIN_PORT: '40000', MEDIASOUP_RTC_MAX_PORT: '40015', MEDIASOUP_NUM_WORKERS: '4' })).toThrow(/MEDIASOUP_NUM_WORKERS/);
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '' }).server.port).toBe(3000);
  });
});
