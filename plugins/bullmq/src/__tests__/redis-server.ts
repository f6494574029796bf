import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SERVER = '/usr/bin/redis-server';

/** A free loopback port, as the kernel hands one out. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A real redis-server of its own for a test file: loopback only, no snapshots, an append-only file so a restart keeps the queue. */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  /** A clean shutdown (the append-only file is flushed), then the same server started again on the same files. */
  restart(downMs: number): Promise<void>;
  shutdown(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** A self-signed certificate for localhost and 127.0.0.1 (its own CA), made with the openssl command. */
export async function selfSignedCertificate(dir: string): Promise<{ cert: string; key: string }> {
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { timeout: 30_000 });
  return { cert, key };
}

export interface RedisSettings {
  /** More redis-server arguments, e.g. ['--requirepass', 'secret']. */
  readonly extra?: readonly string[];
  readonly password?: string;
  /** Serve TLS only, with this certificate (which is also the CA clients must trust). */
  readonly tls?: { readonly cert: string; readonly key: string };
}

export async function startRedis(settings: RedisSettings = {}): Promise<RedisServer> {
  if (!fs.existsSync(SERVER)) throw new Error(`These tests need Redis: install Debian's redis-server (apt-get install redis-server); ${SERVER} is missing.`);
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-redis-'));
  let child: ChildProcess | undefined;
  const tls = settings.tls;
  const cli = (...args: string[]) => run('redis-cli', ['-p', String(port), ...(tls ? ['--tls', '--cacert', tls.cert] : []), ...args], { timeout: 5000 });
  const auth = settings.password ? ['-a', settings.password, '--no-auth-warning'] : [];
  const listen = tls
    ? ['--port', '0', '--tls-port', String(port), '--tls-cert-file', tls.cert, '--tls-key-file', tls.key, '--tls-ca-cert-file', tls.cert, '--tls-auth-clients', 'no']
    : ['--port', String(port)];
  const extra = [...(settings.extra ?? []), ...(settings.password ? ['--requirepass', settings.password] : [])];
  const server: RedisServer = {
    port,
    url: `${tls ? 'rediss' : 'redis'}://127.0.0.1:${port}`,
    dir,
    async start() {
      child = spawn(SERVER, [...listen, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--dir', dir, ...extra], { stdio: 'ignore' });
      for (let i = 0; i < 100; i++) {
        const pong = await cli(...auth, 'ping').then((r) => r.stdout.trim(), () => '');
        if (pong === 'PONG') return;
        await sleep(50);
      }
      throw new Error(`redis-server did not start on port ${port}`);
    },
    async shutdown() {
      const exited = child && child.exitCode === null ? new Promise((resolve) => child!.once('exit', resolve)) : Promise.resolve();
      await cli(...auth, 'shutdown').catch(() => undefined);
      await exited;
    },
    async restart(downMs) {
      await server.shutdown();
      await sleep(downMs);
      await server.start();
    },
    async stop() {
      await server.shutdown();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}
