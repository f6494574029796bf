import fs from 'node:fs';
import path from 'node:path';
import { serve } from '@tributary/serve';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson, model, post, runtime, scratch } from './toy.js';

describe('serve(model): the API over a real socket', () => {
  let server: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    server = await serve(await model({ factor: 3 }), { name: 'toy', port: 0, maxWaitMs: 5 });
  });
  afterAll(() => server.close());

  it('predicts in order, one answer per instance; a rejected instance is null with its error by index', async () => {
    const r = await post(`${server.url}/v1/models/toy:predict`, { instances: [{ x: 1 }, { x: 'two' }, { x: 4 }] });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ predictions: [{ y: 3 }, null, { y: 12 }], errors: [{ index: 1, code: 'INVALID_RECORD', message: "'x' is not a number" }] });
    const v = await post(`${server.url}/v1/models/toy/versions/1:predict`, { instances: [{ x: 2 }] });
    expect(v.body).toEqual({ predictions: [{ y: 6 }] });
    // A stage's note about an instance it still answered comes back by index.
    const zero = await post(`${server.url}/v1/models/toy/versions/1:predict`, { instances: [{ x: 1 }, { x: 0 }] });
    expect(zero.body).toEqual({ predictions: [{ y: 3 }, { y: 0 }], warnings: [{ index: 1, code: 'ZERO_INPUT', message: "'x' is 0" }] });
  });

  it('describes the models: status, versions, the fields read and written; health and readiness', async () => {
    const meta = await getJson(`${server.url}/v1/models/toy`);
    expect(meta).toMatchObject({ name: 'toy', default_version: 1, model_version_status: [{ version: '1', state: 'AVAILABLE', status: { error_code: 'OK' } }] });
    expect(meta.versions[0]).toMatchObject({ version: 1, inputs: ['x'], outputs: ['y'] });
    expect((await getJson(`${server.url}/v1/models`)).models.map((m: { name: string }) => m.name)).toEqual(['toy']);
    expect(await getJson(`${server.url}/healthz`)).toEqual({ status: 'ok' });
    expect(await getJson(`${server.url}/readyz`)).toEqual({ status: 'ready', models: ['toy'] });
    const api = await getJson(`${server.url}/openapi.json`);
    expect(api.openapi).toBe('3.1.0');
    expect(api.paths['/v1/models/toy:predict'].post.requestBody.content['application/json'].schema.properties.instances.items.required).toEqual(['x']);
  });

  it('answers bad requests with 400 and the path at fault, unknown models with 404, and never a stack or a file path', async () => {
    const notArray = await post(`${server.url}/v1/models/toy:predict`, { instances: 'x' });
    expect(notArray.status).toBe(400);
    expect(notArray.body.error).toMatchObject({ code: 'INVALID_REQUEST', path: '/instances' });
    const missing = await post(`${server.url}/v1/models/toy:predict`, { instances: [{ x: 1 }, { z: 1 }] });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatchObject({ code: 'INVALID_REQUEST', path: '/instances/1/x' });
    const empty = await post(`${server.url}/v1/models/toy:predict`, { instances: [] });
    expect(empty.status).toBe(400);
    const extra = await post(`${server.url}/v1/models/toy:predict`, { instances: [{ x: 1 }], inputs: 3 });
    expect(extra.status).toBe(400);
    const json = await post(`${server.url}/v1/models/toy:predict`, '{"instances": [');
    expect(json.status).toBe(400);
    expect(json.body.error.code).toBe('INVALID_JSON');
    // A route under another method is 405 with what it takes.
    const put = await fetch(`${server.url}/v1/models/toy:predict`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('POST');
    const getPredict = await fetch(`${server.url}/v1/models/toy:predict`);
    expect(getPredict.status).toBe(405);
    expect((await fetch(`${server.url}/healthz`, { method: 'DELETE' })).headers.get('allow')).toBe('GET, HEAD');
    expect((await fetch(`${server.url}/nowhere`)).status).toBe(404);
    const unknown = await post(`${server.url}/v1/models/nope:predict`, { instances: [{ x: 1 }] });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toContain("No model named 'nope'. Served: toy.");
    // A stage that throws: its records are rejected with the stage's message, the path in it hidden.
    const boom = await post(`${server.url}/v1/models/toy:predict`, { instances: [{ x: 'explode' }] });
    expect(boom.status).toBe(200);
    expect(boom.body.predictions).toEqual([null]);
    expect(JSON.stringify(boom.body)).not.toMatch(/\/srv|at .*\.ts:\d+|weights\.bin/);
    expect(boom.body.errors[0].message).toContain('<path>');
  });

  it('counts requests, batches and errors in Prometheus text', async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    // Predict requests answered so far: 200 for three in the first test (two by the version route) and the one that
    // exploded; 400 for four invalid bodies (one caught by the handler, three by the schema) and the broken JSON.
    expect(text).toMatch(/^tributary_requests_total\{model="toy",version="1",code="200"\} 4$/m);
    expect(text).toMatch(/^tributary_requests_total\{model="toy",version="1",code="400"\} 5$/m);
    expect(text).toMatch(/^tributary_errors_total\{model="toy",code="INVALID_REQUEST"\} 4$/m);
    expect(text).toMatch(/^tributary_errors_total\{model="toy",code="INVALID_JSON"\} 1$/m);
    // A model name no one serves adds no series of its own.
    expect(text).toMatch(/^tributary_errors_total\{model="_unknown",code="MODEL_NOT_FOUND"\} 1$/m);
    expect(text).not.toContain('model="nope"');
    expect(text).toMatch(/^tributary_batch_size_count\{model="toy"\} \d+$/m);
    expect(text).toMatch(/^tributary_queue_depth\{model="toy"\} 0$/m);
    expect(text).toMatch(/^tributary_records_total\{model="toy",outcome="rejected"\} 2$/m);
  });
});

describe('protection', () => {
  it('bearer tokens: none or a wrong one is 401, the right one passes; health stays open', async () => {
    const server = await serve(await model(), { name: 'toy', port: 0, tokens: ['s3cret-token'] });
    try {
      const url = `${server.url}/v1/models/toy:predict`;
      const body = { instances: [{ x: 1 }] };
      const none = await post(url, body);
      expect(none.status).toBe(401);
      expect(none.body.error.code).toBe('UNAUTHORIZED');
      expect((await post(url, body, { authorization: 'Bearer wrong' })).status).toBe(401);
      expect((await post(url, body, { authorization: 'Bearer s3cret-token' })).body).toEqual({ predictions: [{ y: 2 }] });
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${server.url}/v1/models`)).status).toBe(401);
    } finally {
      await server.close();
    }
  });

  it('auth is case-blind in its scheme, says how to authenticate, covers metrics and the OpenAPI document, and refuses a token with spaces', async () => {
    const server = await serve(await model(), { name: 'toy', port: 0, tokens: ['s3cret-token'] });
    try {
      const url = `${server.url}/v1/models/toy:predict`;
      expect((await post(url, { instances: [{ x: 1 }] }, { authorization: 'bearer s3cret-token' })).status).toBe(200);
      const denied = await post(url, { instances: [{ x: 1 }] });
      expect(denied.headers.get('www-authenticate')).toBe('Bearer realm="tributary"');
      expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
      expect((await fetch(`${server.url}/openapi.json`)).status).toBe(401);
      // Readiness stays open but names no model.
      expect(await getJson(`${server.url}/readyz`)).toEqual({ status: 'ready' });
    } finally {
      await server.close();
    }
    await expect(serve(await model(), { port: 0, tokens: ['Bearer abc'] })).rejects.toMatchObject({ code: 'INVALID_PARAMS', message: expect.stringContaining("without 'Bearer '") });
    // An empty token file is a missing secret, not a way to turn auth off.
    const empty = path.join(scratch('tokens'), 'tokens.txt');
    fs.writeFileSync(empty, '\n  \n');
    await expect(serve(await model(), { port: 0, tokenFile: empty })).rejects.toMatchObject({ code: 'INVALID_PARAMS', param: 'tokenFile', message: expect.stringContaining('holds no token') });
  });

  it('a body that is not JSON is 415; one over the limit is 413', async () => {
    const server = await serve(await model(), { name: 'toy', port: 0 });
    try {
      const text = await fetch(`${server.url}/v1/models/toy:predict`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x=1' });
      expect(text.status).toBe(415);
      expect(((await text.json()) as { error: { code: string } }).error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    } finally {
      await server.close();
    }
  });

  it('a body over the limit is 413', async () => {
    const server = await serve(await model(), { name: 'toy', port: 0, bodyLimit: 200 });
    try {
      const r = await post(`${server.url}/v1/models/toy:predict`, { instances: Array.from({ length: 50 }, (_, i) => ({ x: i })) });
      expect(r.status).toBe(413);
      expect(r.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    } finally {
      await server.close();
    }
  });

  it('a full queue answers 503 with Retry-After instead of growing; every request gets 200 or 503', async () => {
    // Each batch takes 40 ms and at most 4 records wait: 30 requests at once overflow it.
    const server = await serve(await model({ delayMs: 40 }), { name: 'toy', port: 0, maxQueue: 4, maxBatchSize: 2, maxWaitMs: 1, retryAfterSeconds: 2 });
    try {
      const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => post(`${server.url}/v1/models/toy:predict`, { instances: [{ x: i }] })));
      const codes = answers.map((a) => a.status);
      expect(codes.every((c) => c === 200 || c === 503)).toBe(true);
      expect(codes.filter((c) => c === 503).length).toBeGreaterThan(0);
      expect(codes.filter((c) => c === 200).length).toBeGreaterThan(0);
      for (const a of answers.filter((x) => x.status === 503)) {
        expect(a.headers.get('retry-after')).toBe('2');
        expect(a.body.error.code).toBe('QUEUE_FULL');
      }
      for (const [i, a] of answers.entries()) if (a.status === 200) expect(a.body.predictions).toEqual([{ y: 2 * i }]);
    } finally {
      await server.close();
    }
  });

  it('a request not answered in time gets 503 TIMEOUT with Retry-After; one still queued is dropped, not run', async () => {
    // One record per batch, 150 ms each: the second request waits behind the first and gives up at 100 ms.
    const server = await serve(await model({ delayMs: 150 }), { name: 'toy', port: 0, maxBatchSize: 1, timeoutMs: 100 });
    try {
      const [first, second] = await Promise.all([post(`${server.url}/v1/models/toy:predict`, { instances: [{ x: 1 }] }), post(`${server.url}/v1/models/toy:predict`, { instances: [{ x: 2 }] })]);
      // The first is already running when its time is up: it times out too, but the model finishes it.
      expect([first.status, second.status]).toEqual([503, 503]);
      expect(second.body.error.code).toBe('TIMEOUT');
      expect(second.headers.get('retry-after')).toBe('1');
      await new Promise((r) => setTimeout(r, 200));
      const text = await (await fetch(`${server.url}/metrics`)).text();
      // Only the first ran: the second was taken out of the queue when it timed out.
      expect(text).toMatch(/^tributary_batch_size_count\{model="toy"\} 1$/m);
      expect(text).toMatch(/^tributary_errors_total\{model="toy",code="TIMEOUT"\} 2$/m);
    } finally {
      await server.close();
    }
  });

  it('concurrent requests share batches (micro-batching)', async () => {
    const server = await serve(await model({ delayMs: 5 }), { name: 'toy', port: 0, maxBatchSize: 16, maxWaitMs: 30 });
    try {
      await Promise.all(Array.from({ length: 12 }, (_, i) => post(`${server.url}/v1/models/toy:predict`, { instances: [{ x: i }] })));
      const text = await (await fetch(`${server.url}/metrics`)).text();
      const count = Number(/^tributary_batch_size_count\{model="toy"\} (\d+)$/m.exec(text)![1]);
      const sum = Number(/^tributary_batch_size_sum\{model="toy"\} (\d+)$/m.exec(text)![1]);
      expect(sum).toBe(12);
      expect(count).toBeLessThan(12);
    } finally {
      await server.close();
    }
  });
});

describe('serving a folder of saved models', () => {
  it('a new version on disk is loaded and swapped in under traffic with no failed request', async () => {
    const root = scratch('versions');
    await (await model({ factor: 2 })).save(path.join(root, 'toy', '1'));
    const server = await serve(root, { runtime: runtime(), port: 0, pollMs: 50 });
    try {
      let stop = false;
      const seen = new Set<number>();
      const failures: number[] = [];
      const traffic = (async () => {
        while (!stop) {
          const r = await post(`${server.url}/v1/models/toy:predict`, { instances: [{ x: 1 }] });
          if (r.status !== 200) failures.push(r.status);
          else seen.add(r.body.predictions[0].y);
        }
      })();
      await new Promise((r) => setTimeout(r, 100));
      await (await model({ factor: 5 })).save(path.join(root, 'toy', '2'));
      const deadline = Date.now() + 10_000;
      while (!seen.has(5) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      stop = true;
      await traffic;
      expect(failures).toEqual([]);
      expect([...seen].sort()).toEqual([2, 5]);
      // Both versions stay addressable; the default is the highest.
      expect((await post(`${server.url}/v1/models/toy/versions/1:predict`, { instances: [{ x: 1 }] })).body.predictions).toEqual([{ y: 2 }]);
      expect((await getJson(`${server.url}/v1/models/toy`)).default_version).toBe(2);
      // A version removed from disk is unloaded.
      fs.rmSync(path.join(root, 'toy', '1'), { recursive: true });
      const gone = Date.now() + 5_000;
      while ((await post(`${server.url}/v1/models/toy/versions/1:predict`, { instances: [{ x: 1 }] })).status !== 404 && Date.now() < gone) await new Promise((r) => setTimeout(r, 20));
      expect((await post(`${server.url}/v1/models/toy/versions/1:predict`, { instances: [{ x: 1 }] })).status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it('a version that fails to load is listed with why (no path), and is loaded once it is whole', async () => {
    const root = scratch('damaged');
    await (await model({ factor: 2 })).save(path.join(root, 'toy', '1'));
    const server = await serve(root, { runtime: runtime(), port: 0, pollMs: 50 });
    try {
      // Version 2 arrives with a manifest but no stage file yet (a copy half done): an edited file to the loader.
      const v2 = path.join(root, 'toy', '2');
      await (await model({ factor: 7 })).save(v2, { evaluation: { f1: 0.9, warnings: ['read from /home/alice/corpus'] } });
      fs.appendFileSync(path.join(v2, 'evaluation.json'), ' ');
      let status = await getJson(`${server.url}/v1/models/toy`);
      for (let i = 0; i < 100 && status.model_version_status.length < 2; i++) {
        await new Promise((r) => setTimeout(r, 20));
        status = await getJson(`${server.url}/v1/models/toy`);
      }
      expect(status.model_version_status[1]).toMatchObject({ version: '2', state: 'END', status: { error_code: 'ARTIFACT_CORRUPT' } });
      expect(JSON.stringify(status)).not.toContain(root);
      expect(status.default_version).toBe(1);
      // Repaired in place: the next attempt (a second later) loads it.
      fs.writeFileSync(path.join(v2, 'evaluation.json'), fs.readFileSync(path.join(v2, 'evaluation.json'), 'utf8').trimEnd() + '\n');
      for (let i = 0; i < 250 && status.default_version !== 2; i++) {
        await new Promise((r) => setTimeout(r, 20));
        status = await getJson(`${server.url}/v1/models/toy`);
      }
      expect(status.default_version).toBe(2);
      // The evaluation in the status is its headline figures only: no free text.
      expect(status.versions[1].evaluation).toEqual({ f1: 0.9 });
      expect((await fetch(`${server.url}/metrics`).then((r) => r.text())).match(/^tributary_model_load_failures_total\{model="toy"\} (\d+)$/m)).not.toBeNull();
    } finally {
      await server.close();
    }
  });

  it('a model whose recorded gate has no approval is not served, unless overridden', async () => {
    const root = scratch('approval');
    // Saved with an evaluation that records a gate, but not through it: no approval in the manifest.
    await (await model()).save(path.join(root, 'toy'), { evaluation: { f1: 0.5, gate: { passed: false, misses: [], gate: { minF1: 0.9 } } } });
    await expect(serve(root, { runtime: runtime(), port: 0 })).rejects.toMatchObject({ code: 'GATE_FAILED', message: expect.stringContaining('no approval') });
    const server = await serve(root, { runtime: runtime(), port: 0, allowUnapproved: true });
    expect((await post(`${server.url}/v1/models/toy:predict`, { instances: [{ x: 1 }] })).body).toEqual({ predictions: [{ y: 2 }] });
    await server.close();
  });
});

describe('graceful shutdown', () => {
  it('past the deadline, the requests still queued get 503 CLOSING and close() returns; none hangs', async () => {
    const server = await serve(await model({ delayMs: 300 }), { name: 'toy', port: 0, maxBatchSize: 1, shutdownTimeoutMs: 100 });
    const inflight = Array.from({ length: 3 }, (_, i) => post(`${server.url}/v1/models/toy:predict`, { instances: [{ x: i }] }).catch((e: Error) => ({ status: 0, body: e.message })));
    while (server.registry.get('toy')!.inflight < 3) await new Promise((r) => setTimeout(r, 5));
    await server.close();
    const answers = await Promise.all(inflight);
    // The first was running and finishes or is cut; the two queued behind it are refused in the API's shape.
    const refused = answers.filter((a) => a.status === 503);
    expect(refused.length).toBeGreaterThanOrEqual(2);
    for (const a of refused) expect((a.body as { error: { code: string } }).error.code).toBe('CLOSING');
  });

  it('requests in flight when close() is called all complete; new connections are refused afterwards', async () => {
    const server = await serve(await model({ delayMs: 200 }), { name: 'toy', port: 0, maxBatchSize: 1, maxWaitMs: 0 });
    const inflight = Array.from({ length: 4 }, (_, i) => post(`${server.url}/v1/models/toy:predict`, { instances: [{ x: i }] }));
    // Close once the server holds all four (each is counted in flight from its arrival).
    while (server.registry.get('toy')!.inflight < 4) await new Promise((r) => setTimeout(r, 5));
    const closing = server.close();
    const answers = await Promise.all(inflight);
    await closing;
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    expect(answers.map((a) => a.body.predictions[0].y)).toEqual([0, 2, 4, 6]);
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  });
});
