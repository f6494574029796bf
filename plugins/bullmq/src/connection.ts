import { TributaryError } from '@tributary/core';

/** ioredis connection options, as far as Tributary sets them (any other ioredis option passes through). */
export interface RedisOptions {
  readonly host?: string;
  readonly port?: number;
  readonly username?: string;
  readonly password?: string;
  readonly db?: number;
  /** TLS options for `tls.connect` (`{}` for the system's CAs); present means TLS. */
  readonly tls?: Record<string, unknown>;
  readonly [option: string]: unknown;
}

/**
 * Where Redis is: a URL `redis://[[user]:password@]host[:port][/db]` (`rediss://` for TLS) or ioredis
 * options. Absent means the URL in the environment variable `TRIBUTARY_REDIS_URL`.
 */
export type Connection = string | RedisOptions;

/** The environment variable read when no connection is given. */
export const REDIS_URL_ENV = 'TRIBUTARY_REDIS_URL';

/** Turns a connection (or the environment's) into ioredis options. */
export function redisOptions(connection: Connection | undefined, env: NodeJS.ProcessEnv = process.env): RedisOptions {
  const given = connection ?? env[REDIS_URL_ENV];
  if (given === undefined || given === '') {
    throw new TributaryError('INVALID_PARAMS', {
      param: 'connection',
      message: `No Redis to connect to: pass connection (a redis:// or rediss:// URL, or ioredis options), or set ${REDIS_URL_ENV}, e.g. redis://127.0.0.1:6379.`,
    });
  }
  if (typeof given !== 'string') return { ...given };
  let url: URL;
  try {
    url = new URL(given);
  } catch (error) {
    throw new TributaryError('INVALID_PARAMS', { param: 'connection', message: `The Redis connection is not a URL; write it as redis://[:password@]host:port/db or rediss://… for TLS.`, cause: error });
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new TributaryError('INVALID_PARAMS', { param: 'connection', message: `A Redis URL starts with redis:// (or rediss:// for TLS); got ${url.protocol}//.` });
  }
  const dbText = url.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!Number.isInteger(db) || db < 0) {
    throw new TributaryError('INVALID_PARAMS', { param: 'connection', message: `The database in a Redis URL is a whole number after the port (redis://host:6379/2); got '${dbText}'.` });
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
  return {
    host,
    port: url.port === '' ? 6379 : Number(url.port),
    db,
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    // servername: certificates name the host, and Node sends no SNI for a bare connect without it.
    ...(url.protocol === 'rediss:' ? { tls: { servername: host } } : {}),
  };
}

/** Where a connection points, for messages: never the password. */
export function describeConnection(options: RedisOptions): string {
  return `${options.tls ? 'rediss' : 'redis'}://${options.host ?? '127.0.0.1'}:${options.port ?? 6379}/${options.db ?? 0}`;
}
