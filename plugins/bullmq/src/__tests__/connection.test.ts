import { isTributaryError } from '@tributary/core';
import { describeConnection, redisOptions } from '@tributary/plugin-bullmq';
import { describe, expect, it } from 'vitest';

describe('redisOptions', () => {
  it('reads host, port, database, user and password (percent-decoded) from a redis:// URL', () => {
    expect(redisOptions('redis://worker:p%40ss%20word@queue.internal:6380/2')).toEqual({ host: 'queue.internal', port: 6380, db: 2, username: 'worker', password: 'p@ss word' });
    expect(redisOptions('redis://:only-pass@10.0.0.5')).toEqual({ host: '10.0.0.5', port: 6379, db: 0, password: 'only-pass' });
  });

  it('turns on TLS for rediss://, naming the host for the certificate check', () => {
    expect(redisOptions('rediss://cache.example.com:6390')).toEqual({ host: 'cache.example.com', port: 6390, db: 0, tls: { servername: 'cache.example.com' } });
  });

  it('passes ioredis options through, and falls back to TRIBUTARY_REDIS_URL', () => {
    expect(redisOptions({ host: 'h', port: 1, tls: { ca: 'x' } })).toEqual({ host: 'h', port: 1, tls: { ca: 'x' } });
    expect(redisOptions(undefined, { TRIBUTARY_REDIS_URL: 'redis://from-env:7000/1' })).toEqual({ host: 'from-env', port: 7000, db: 1 });
  });

  it('says what to do when there is no connection or it is not a Redis URL', () => {
    for (const [given, hint] of [
      [undefined, /TRIBUTARY_REDIS_URL/],
      ['http://host:6379', /starts with redis:\/\//],
      ['redis://host:6379/two', /whole number/],
      ['not a url', /not a URL/],
    ] as const) {
      const error = (() => {
        try {
          redisOptions(given, {});
        } catch (e) {
          return e;
        }
      })();
      expect(isTributaryError(error, 'INVALID_PARAMS')).toBe(true);
      expect((error as Error).message).toMatch(hint);
    }
  });

  it('describes a connection without its password', () => {
    const text = describeConnection(redisOptions('rediss://u:secret@h:1/3'));
    expect(text).toBe('rediss://h:1/3');
  });
});
