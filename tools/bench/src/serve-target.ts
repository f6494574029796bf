// A server for the serve benchmark, in its own process so the load generator does not share its thread:
//   node serve-target.js bare | trivial | artifact DIR
// prints its URL on stdout once listening; stops on SIGTERM.
import { createRuntime } from '@tributary/core';
import { natural } from '@tributary/plugin-natural';
import { tfjs } from '@tributary/plugin-tfjs';
import { serve } from '@tributary/serve';
import Fastify from 'fastify';
import { identityModel } from './identity.js';

const [kind, dir] = process.argv.slice(2);
let url: string;
let close: () => Promise<unknown>;
if (kind === 'bare') {
  // The same request parsing as a predict route, and a constant answer.
  const app = Fastify({ logger: false });
  app.post('/constant', async () => ({ predictions: [{ x: 1 }] }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address() as { port: number };
  url = `http://127.0.0.1:${address.port}/constant`;
  close = () => app.close();
} else {
  const maxQueue = Number(process.env.MAX_QUEUE ?? 2048);
  const server =
    kind === 'trivial'
      ? await serve(await identityModel(), { name: 'trivial', port: 0, maxQueue })
      : await serve(dir!, { runtime: createRuntime({ plugins: [natural, tfjs] }), port: 0, pollMs: 0, maxQueue });
  url = `${server.url}/v1/models/${server.registry.names()[0]}:predict`;
  close = () => server.close();
}
process.stdout.write(`${url}\n`);
process.once('SIGTERM', () => void close().then(() => process.exit(0)));
