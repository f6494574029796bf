import fs from 'node:fs';
import bearerAuth from '@fastify/bearer-auth';
import { type DataRecord, ERROR_CODES, type ErrorCode, type Logger, PipelineModel, type Runtime, TributaryError, silentLogger } from '@tributary/core';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import { Abandoned, QueueFull } from './batcher.js';
import { ServeMetrics } from './metrics.js';
import { openApiDocument } from './openapi.js';
import { ModelRegistry, type ServedModel, approvalProblem } from './registry.js';
import { ErrorBody, PredictRequest, PredictResponse } from './schemas.js';

export interface ServeOptions {
  /** Interface to listen on. Default 127.0.0.1 (loopback only); 0.0.0.0 for every interface. */
  readonly host?: string;
  /** Default 8501 (TensorFlow Serving's REST port); 0 picks a free one. */
  readonly port?: number;
  /** Resolves the kinds of the models loaded from disk (their plugins registered). Required to serve a folder. */
  readonly runtime?: Runtime;
  /** The name of a single model (default: its folder's name, or `model` for one handed over in memory). */
  readonly name?: string;
  /** Records per model call. Default 32. */
  readonly maxBatchSize?: number;
  /** How long a request waits for others to share its batch, in ms. Default 0: a batch takes the requests already received, and no more. */
  readonly maxWaitMs?: number;
  /** Records waiting at most per model; a request beyond it gets 503 with Retry-After. Default 2,048. */
  readonly maxQueue?: number;
  /** Instances per request at most. Default 1,024. */
  readonly maxInstances?: number;
  /** Request body size limit in bytes (413 above it). Default 1 MiB. */
  readonly bodyLimit?: number;
  /** A request not answered within this many ms gets 503 (TIMEOUT). Default 10,000. */
  readonly timeoutMs?: number;
  /** Bearer tokens accepted on /v1; also read from TRIBUTARY_TOKENS (comma-separated) and `tokenFile` (one per line). None: no auth. */
  readonly tokens?: readonly string[];
  readonly tokenFile?: string;
  /** Serve models whose recorded gate has no approval. Default false: such a model is refused. */
  readonly allowUnapproved?: boolean;
  /** How often a served folder is scanned for new or removed versions, in ms; 0 turns it off. Default 2,000. */
  readonly pollMs?: number;
  /** How long `close()` waits for requests in flight before cutting connections, in ms. Default 10,000. */
  readonly shutdownTimeoutMs?: number;
  /** Seconds a client is told to wait (Retry-After) when the queue is full. Default 1. */
  readonly retryAfterSeconds?: number;
  readonly logger?: Logger;
  /** Labels on every metric, e.g. `{ worker: '2' }` when several processes serve one port. */
  readonly metricLabels?: Readonly<Record<string, string>>;
}

export interface Server {
  /** `http://host:port` of the listening socket. */
  readonly url: string;
  readonly app: FastifyInstance;
  readonly registry: ModelRegistry;
  /** Stops taking requests, lets those in flight finish (up to shutdownTimeoutMs), frees the models. */
  close(): Promise<void>;
}

/** The answer to an error: a code a client can branch on and a message saying what to do. */
function send(reply: FastifyReply, status: number, code: string, message: string, extra: Record<string, unknown> = {}) {
  errorCodes.set(reply, code);
  return reply.code(status).send({ error: { code, message, ...extra } });
}

/** A version number as a URL gives it (1 to 999,999,999), or undefined. */
const versionOf = (raw: string): number | undefined => (/^[1-9]\d{0,8}$/.test(raw) ? Number(raw) : undefined);

/** The routes and their methods, for telling 405 (wrong method) from 404 (no such route). */
const ROUTES: ReadonlyArray<readonly [RegExp, string]> = [
  [/^\/(healthz|readyz|metrics|openapi\.json)$/, 'GET'],
  [/^\/v1\/models$/, 'GET'],
  [/^\/v1\/models\/[^/]+:predict$/, 'POST'],
  [/^\/v1\/models\/[^/:]+$/, 'GET'],
  [/^\/v1\/models\/[^/]+\/versions\/[^/]+:predict$/, 'POST'],
  [/^\/v1\/models\/[^/]+\/versions\/[^/:]+$/, 'GET'],
];

/** The error code each answer was sent with, and the model a request named: read when it is counted. */
const errorCodes = new WeakMap<FastifyReply, string>();
const modelOf = new WeakMap<object, { model: string; version: string }>();

/** Headline figures of a model's evaluation, for its status: numbers and the task, never free text or paths. */
const HEADLINE = ['task', 'testRecords', 'accuracy', 'balancedAccuracy', 'precision', 'recall', 'f1', 'rocAuc', 'prAuc', 'logLoss', 'macroF1', 'createdAt'];
function headline(evaluation: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of HEADLINE) {
    const v = evaluation[key];
    if (typeof v === 'number' || v === null || (typeof v === 'string' && (key === 'task' || key === 'createdAt') && v.length < 40)) out[key] = v;
  }
  const gate = evaluation.gate as { passed?: unknown } | undefined;
  if (gate && typeof gate.passed === 'boolean') out.gatePassed = gate.passed;
  return out;
}

/** Tokens from the options, TRIBUTARY_TOKENS and a token file; empty entries ignored. */
export function readTokens(options: Pick<ServeOptions, 'tokens' | 'tokenFile'>): string[] {
  const tokens = [...(options.tokens ?? [])];
  if (process.env.TRIBUTARY_TOKENS) tokens.push(...process.env.TRIBUTARY_TOKENS.split(','));
  if (options.tokenFile) {
    let text: string;
    try {
      text = fs.readFileSync(options.tokenFile, 'utf8');
    } catch (error) {
      throw new TributaryError('INVALID_PARAMS', { param: 'tokenFile', message: `Cannot read the token file ${options.tokenFile} (${(error as NodeJS.ErrnoException).code ?? String(error)}). Give a file with one token per line.` });
    }
    const lines = text.split(/\r?\n/).filter((t) => t.trim());
    // An empty file is a mistake (a missing secret), never a way to turn auth off.
    if (lines.length === 0) throw new TributaryError('INVALID_PARAMS', { param: 'tokenFile', message: `The token file ${options.tokenFile} holds no token. Put one token per line in it, or leave the token file out to serve without auth.` });
    tokens.push(...lines);
  }
  const clean = [...new Set(tokens.map((t) => t.trim()).filter(Boolean))];
  const bad = clean.find((t) => /\s/.test(t) || /^bearer$/i.test(t));
  if (bad !== undefined) {
    throw new TributaryError('INVALID_PARAMS', { param: 'tokens', message: `A bearer token cannot hold spaces${/^bearer\b/i.test(bad) ? " (write the token alone, without 'Bearer ')" : ''}: fix the token list (one token per line in a token file, comma-separated in TRIBUTARY_TOKENS).` });
  }
  return clean;
}

/** A message for a client: absolute file paths (which say how the server is laid out) become <path>. */
export const forClient = (message: string): string =>
  message
    .replace(/\\\\[^\s\\]+\\[^\s'"]+/g, '<path>')
    .replace(/(?<![\w:/.])(?:[A-Za-z]:\\|\/)(?:[^\s/\\:'"()]+[/\\])+[^\s/\\:'"()]*/g, '<path>');

const isTyped = (v: unknown): v is ArrayLike<number> => ArrayBuffer.isView(v) && !(v instanceof DataView);

/** An output value as JSON: typed arrays (tensors, feature vectors) become plain arrays. */
const plain = (value: unknown): unknown => (isTyped(value) ? Array.from(value) : value);

/**
 * Builds the HTTP app for a saved model folder (one artifact, a folder of artifacts, or models with
 * numbered versions) or a model in memory, without listening: for embedding in a server of your own.
 */
export async function createApp(source: string | PipelineModel, options: ServeOptions = {}): Promise<{ app: FastifyInstance; registry: ModelRegistry; metrics: ServeMetrics; closing: () => boolean; markClosing: () => void }> {
  const logger = options.logger ?? silentLogger;
  const maxInstances = options.maxInstances ?? 1024;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const retryAfter = String(options.retryAfterSeconds ?? 1);
  const maxQueue = options.maxQueue ?? 2048;
  const tokens = readTokens(options);
  let metrics!: ServeMetrics;
  const registry: ModelRegistry = new ModelRegistry({
    runtime: options.runtime as Runtime,
    logger,
    allowUnapproved: options.allowUnapproved ?? false,
    batching: { maxBatchSize: options.maxBatchSize ?? 32, maxWaitMs: options.maxWaitMs ?? 0, maxQueue },
    onLoadFailure: (name) => metrics.loadFailures.inc({ model: name }),
    onBatch: (served, size, ms) => {
      metrics.batchSize.observe({ model: served.name }, size);
      metrics.batchSeconds.observe({ model: served.name }, ms / 1000);
    },
    ...(options.name ? { name: options.name } : {}),
  });
  metrics = new ServeMetrics(options.metricLabels ?? {}, () => registry.names().flatMap((name) => registry.versions(name).map((s) => ({ model: name, depth: s.batcher.depth }))));

  if (source instanceof PipelineModel) {
    const problem = approvalProblem(source, options.allowUnapproved ?? false);
    if (problem) throw new TributaryError('GATE_FAILED', { message: `The model is not served: ${problem}` });
    registry.add(options.name ?? 'model', source);
  } else {
    if (!options.runtime) throw new TributaryError('INVALID_PARAMS', { param: 'runtime', message: 'Serving a folder needs a runtime with the models\' plugins registered: serve(dir, { runtime: createRuntime({ plugins: [...] }) }).' });
    if (!fs.existsSync(source) || !fs.statSync(source).isDirectory()) {
      throw new TributaryError('ARTIFACT_NOT_FOUND', { message: `There is no folder at ${source}. Give a saved model's folder, or a folder of them.` });
    }
    await registry.scan(source);
    if (registry.size === 0) {
      const problems = registry.problems;
      const why = problems.map((p) => p.message).join(' ');
      // When every model failed for the same reason (a plugin missing, a corrupt file), that reason is the code.
      const codes = new Set(problems.map((p) => p.code));
      const [only] = codes;
      const code = codes.size === 1 && only && (ERROR_CODES as readonly string[]).includes(only) ? (only as ErrorCode) : 'ARTIFACT_NOT_FOUND';
      throw new TributaryError(code, { message: `No model could be served from ${source}. ${why || 'It holds no tributary.json, no folders of models, and no numbered versions (name/1, name/2).'}` });
    }
    if ((options.pollMs ?? 2000) > 0) registry.watch(source, options.pollMs ?? 2000);
  }

  let closing = false;
  const app = Fastify({
    logger: false,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    // Validation is strict: nothing is removed or coerced quietly.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false } },
    // Closing is answered by our own hook below, in the API's error shape.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    requestTimeout: Math.max(30_000, timeoutMs * 2),
    // A URL the router cannot read (bad percent-encoding) gets the API's error shape too.
    frameworkErrors: (error, _request, reply) => {
      void send(reply, 400, 'INVALID_URL', `The URL cannot be read (${error.code ?? 'bad encoding'}); check its percent-encoding.`);
    },
  });
  // Only JSON is an API body; plain text would reach validation as a string and be called "not an object".
  app.removeContentTypeParser('text/plain');

  app.addHook('onRequest', async (_request, reply) => {
    if (!closing) return;
    reply.header('retry-after', retryAfter);
    return send(reply, 503, 'CLOSING', 'The server is shutting down. Retry on another instance, or after a moment.');
  });
  // Every answer is counted, by model (a served model's name, or _unknown/_none, so names made up by clients add no series) and status.
  /** The served model a predict route's params name (`{target: 'spam:predict'}`, or `{name, target: '2:predict'}`), if any. */
  const servedBy = (params: unknown): ServedModel | undefined => {
    const p = (params ?? {}) as { name?: string; target?: string };
    const head = p.target?.replace(/:predict$/, '');
    if (p.name === undefined) return head === undefined ? undefined : registry.get(head);
    const version = head === undefined ? undefined : versionOf(head);
    return head !== undefined && version === undefined ? undefined : registry.get(p.name, version);
  };
  /** The model a request to a /v1/models route names, as a metric label: its name if served, else _unknown. */
  const targetOf = (request: { params: unknown; routeOptions: { url?: string } }) => {
    const known = modelOf.get(request);
    if (known) return known;
    if (!request.routeOptions.url?.startsWith('/v1/models/')) return undefined;
    const served = servedBy(request.params);
    return { model: served ? served.name : '_unknown', version: served ? String(served.version) : '_unknown' };
  };
  app.addHook('onResponse', async (request, reply) => {
    const target = request.method === 'POST' ? targetOf(request) : modelOf.get(request);
    const code = String(reply.statusCode);
    if (target) metrics.requests.inc({ model: target.model, version: target.version, code });
    if (reply.statusCode >= 400) metrics.errors.inc({ model: target?.model ?? '_none', code: errorCodes.get(reply) ?? (reply.statusCode === 401 ? 'UNAUTHORIZED' : `HTTP_${code}`) });
  });

  // While closing, every answer asks the client to close its connection, so keep-alive sockets do not hold the shutdown up.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close');
    if (reply.statusCode === 401) reply.header('www-authenticate', 'Bearer realm="tributary"');
    done(null, payload);
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation) {
      const first = error.validation[0]!;
      const where = `${first.instancePath || '/'}`;
      return send(reply, 400, 'INVALID_REQUEST', `${where}: ${first.message ?? 'is not valid'}. The body is {"instances": [record, ...]} (1 to ${maxInstances} records).`, { path: where });
    }
    if (error.statusCode === 413) return send(reply, 413, 'PAYLOAD_TOO_LARGE', `The request body is larger than the limit of ${options.bodyLimit ?? 1024 * 1024} bytes. Send fewer instances per request.`);
    if (error.statusCode === 415) return send(reply, 415, 'UNSUPPORTED_MEDIA_TYPE', 'Send the body as JSON (Content-Type: application/json).');
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return send(reply, 415, 'UNSUPPORTED_MEDIA_TYPE', 'Send the body as JSON (Content-Type: application/json), uncompressed.');
      if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return send(reply, 400, 'INVALID_JSON', 'The body is empty; send {"instances": [record, ...]}.');
      if (/__proto__|constructor/.test(error.message)) return send(reply, 400, 'INVALID_JSON', 'The body has a __proto__ or constructor key, which is refused; rename the field.');
      return send(reply, error.statusCode, 'INVALID_JSON', 'The body is not valid JSON; send {"instances": [record, ...]}.');
    }
    // Whatever failed inside stays in the log; the client gets the request id to quote.
    logger.error('request failed', { requestId: request.id, url: request.url, error: error.message, stack: error.stack });
    return send(reply, 500, 'INTERNAL', `The server failed on this request; its log has the details under request id ${request.id}.`);
  });
  app.setNotFoundHandler((request, reply) => {
    // A route that exists under another method is 405 with the methods it takes, not 404.
    const url = request.url.split('?')[0]!;
    const allowed = ROUTES.filter(([pattern]) => pattern.test(url)).map(([, method]) => method);
    if (allowed.length > 0 && !allowed.includes(request.method)) {
      const methods = [...new Set(allowed.flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m])))];
      reply.header('allow', methods.join(', '));
      return send(reply, 405, 'METHOD_NOT_ALLOWED', `${request.method} is not taken here; this route takes ${methods.join(', ')}.`);
    }
    return send(reply, 404, 'NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}. The API: POST /v1/models/{name}:predict, GET /v1/models, GET /v1/models/{name}, GET /healthz, /readyz, /metrics, /openapi.json.`);
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    if (closing) return reply.code(503).send({ status: 'closing' });
    if (registry.size === 0) return reply.code(503).send({ status: 'no models loaded' });
    // With auth on, readiness says no more than ready: the model list is for token holders.
    return tokens.length > 0 ? { status: 'ready' } : { status: 'ready', models: registry.names() };
  });

  const status = (name: string, served: ServedModel[], failures = registry.problems.filter((p) => p.name === name)) => ({
    name,
    default_version: served.length ? Math.max(...served.map((s) => s.version)) : null,
    // TensorFlow Serving's shape, for clients that read it; a version that failed to load is there with why.
    model_version_status: [
      ...served.map((s) => ({ version: String(s.version), state: 'AVAILABLE', status: { error_code: 'OK', error_message: '' } })),
      ...failures.map((f) => ({ version: String(f.version), state: 'END', status: { error_code: f.code, error_message: forClient(f.message) } })),
    ].sort((a, b) => Number(a.version) - Number(b.version)),
    versions: served.map((s) => ({
      version: s.version,
      loadedAt: s.loadedAt,
      inputs: s.model.schema.input,
      outputs: s.outputs,
      ...(s.model.manifest?.approval ? { approval: s.model.manifest.approval } : {}),
      ...(s.model.manifest?.evaluation ? { evaluation: headline(s.model.manifest.evaluation) } : {}),
    })),
  });


  const predict = async (name: string, version: number | undefined, body: { instances: object[] }, reply: FastifyReply) => {
    const started = performance.now();
    const served = registry.get(name, version);
    modelOf.set(reply.request, { model: registry.get(name) ? name : '_unknown', version: served ? String(served.version) : '_unknown' });
    if (!served) {
      const known = registry.names();
      return send(reply, 404, 'MODEL_NOT_FOUND', version === undefined ? `No model named '${name}'. Served: ${known.join(', ') || 'none'}.` : `Model '${name}' has no version ${version}. Versions: ${registry.versions(name).map((s) => s.version).join(', ') || 'none'}.`);
    }
    // Every field the pipeline reads first must be in every instance.
    const needs = served.model.schema.input;
    for (const [i, instance] of body.instances.entries()) {
      const missing = needs.find((field) => !(field in instance));
      if (missing !== undefined) {
        return send(reply, 400, 'INVALID_REQUEST', `/instances/${i}: lacks the field '${missing}'; model '${name}' reads ${needs.map((f) => `'${f}'`).join(', ')}.`, { path: `/instances/${i}/${missing}` });
      }
    }
    registry.acquire(served);
    let job: ReturnType<typeof served.batcher.submit>;
    try {
      job = served.batcher.submit(body.instances as DataRecord[]);
    } catch (error) {
      registry.release(served);
      if (!(error instanceof QueueFull)) throw error;
      reply.header('retry-after', retryAfter);
      return send(reply, 503, 'QUEUE_FULL', `The server is at capacity (${error.depth} records queued for '${name}'). Retry after ${retryAfter} s.`);
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        job.abandon();
        reject(new Abandoned('timeout'));
      }, timeoutMs);
    });
    try {
      const answers = await Promise.race([job.answers, timeout]);
      const predictions: unknown[] = [];
      const errors: Array<{ index: number; code: string; message: string }> = [];
      const warnings: Array<{ index: number; code: string; message: string }> = [];
      for (const [index, answer] of answers.entries()) {
        for (const w of answer.warnings ?? []) warnings.push({ index, code: w.code, message: forClient(w.message) });
        if (answer.record) predictions.push(Object.fromEntries(served.outputs.map((f) => [f, plain(answer.record[f]) ?? null])));
        else {
          predictions.push(null);
          errors.push({ index, code: answer.error.code, message: forClient(answer.error.message) });
        }
      }
      metrics.records.inc({ model: name, outcome: 'predicted' }, answers.length - errors.length);
      if (errors.length) metrics.records.inc({ model: name, outcome: 'rejected' }, errors.length);
      return reply.send({ predictions, ...(errors.length ? { errors } : {}), ...(warnings.length ? { warnings } : {}) });
    } catch (error) {
      if (!(error instanceof Abandoned)) throw error;
      reply.header('retry-after', retryAfter);
      if (error.message === 'shutting down') return send(reply, 503, 'CLOSING', 'The server is shutting down and this request had not started. Retry on another instance, or after a moment.');
      return send(reply, 503, 'TIMEOUT', `No answer within ${timeoutMs} ms: the server is overloaded. Retry after ${retryAfter} s, or send fewer instances.`);
    } finally {
      clearTimeout(timer);
      registry.release(served);
      metrics.latency.observe({ model: name }, (performance.now() - started) / 1000);
    }
  };

  await app.register(async (v1) => {
    if (tokens.length > 0) {
      await v1.register(bearerAuth, {
        keys: new Set(tokens),
        addHook: true,
        // The scheme name is case-insensitive (RFC 7235): "bearer" is accepted as "Bearer".
        specCompliance: 'rfc6749',
        verifyErrorLogLevel: 'debug',
        // Our error shape (the plugin's types only know `{ error: string }`).
        errorResponse: ((error: Error) => ({ error: { code: 'UNAUTHORIZED', message: `${error.message}. Send the header Authorization: Bearer <token>.` } })) as unknown as (error: Error) => { error: string },
      });
    }
    // Behind the same tokens as predict when auth is on: they list the models.
    v1.get('/metrics', async (_request, reply) => {
      reply.header('content-type', metrics.registry.contentType);
      return metrics.registry.metrics();
    });
    v1.get('/openapi.json', async () => openApiDocument(registry, { maxInstances, auth: tokens.length > 0 }));
    v1.get('/v1/models', async () => ({ models: registry.names().map((name) => status(name, registry.versions(name))) }));
    v1.get<{ Params: { name: string } }>('/v1/models/:name', async (request, reply) => {
      if (request.params.name.endsWith(':predict')) {
        reply.header('allow', 'POST');
        return send(reply, 405, 'METHOD_NOT_ALLOWED', 'GET is not taken here; predict takes POST with {"instances": [...]}.');
      }
      const served = registry.versions(request.params.name);
      if (served.length === 0 && registry.problems.some((p) => p.name === request.params.name)) return reply.code(503).send(status(request.params.name, []));
      if (served.length === 0) return send(reply, 404, 'MODEL_NOT_FOUND', `No model named '${request.params.name}'. Served: ${registry.names().join(', ') || 'none'}.`);
      return status(request.params.name, served);
    });
    v1.get<{ Params: { name: string; version: string } }>('/v1/models/:name/versions/:version', async (request, reply) => {
      const served = registry.get(request.params.name, versionOf(request.params.version));
      if (!served || versionOf(request.params.version) === undefined) return send(reply, 404, 'MODEL_NOT_FOUND', `Model '${request.params.name}' has no version ${request.params.version}.`);
      return status(request.params.name, [served]);
    });
    // `:predict` is part of the last segment, as in TensorFlow Serving: /v1/models/spam:predict.
    // A full queue is answered before the body is read: under overload, parsing bodies only to refuse
    // them would take the CPU the model needs (goodput fell from ~900 to ~350 requests/s that way).
    const shed = async (request: { params: unknown }, reply: FastifyReply) => {
      const served = servedBy(request.params);
      if (served && served.batcher.depth >= maxQueue) {
        reply.header('retry-after', retryAfter);
        return send(reply, 503, 'QUEUE_FULL', `The server is at capacity (${served.batcher.depth} records queued for '${served.name}'). Retry after ${retryAfter} s.`);
      }
    };
    const opts = { onRequest: shed, schema: { body: PredictRequest(maxInstances), response: { 200: PredictResponse, '4xx': ErrorBody, '5xx': ErrorBody } } };
    v1.post<{ Params: { target: string }; Body: { instances: object[] } }>('/v1/models/:target', opts, async (request, reply) => {
      const match = /^(.+):predict$/.exec(request.params.target);
      if (!match) return send(reply, 404, 'NOT_FOUND', `POST to /v1/models/{name}:predict; '${request.params.target}' does not end in ':predict'.`);
      return predict(match[1]!, undefined, request.body, reply);
    });
    v1.post<{ Params: { name: string; target: string }; Body: { instances: object[] } }>('/v1/models/:name/versions/:target', opts, async (request, reply) => {
      const match = /^(.+):predict$/.exec(request.params.target);
      const version = match ? versionOf(match[1]!) : undefined;
      if (!match || version === undefined) return send(reply, 404, 'NOT_FOUND', `POST to /v1/models/{name}/versions/{number}:predict; got '${request.params.target}'.`);
      return predict(request.params.name, version, request.body, reply);
    });
  });

  return {
    app,
    registry,
    metrics,
    closing: () => closing,
    markClosing: () => {
      closing = true;
    },
  };
}

/**
 * Serves a saved model (or a folder of models and versions) over HTTP: `await serve('artifacts/spam-filter',
 * { runtime })`, then POST /v1/models/spam-filter:predict with {"instances": [...]}.
 */
export async function serve(source: string | PipelineModel, options: ServeOptions = {}): Promise<Server> {
  const { app, registry, markClosing } = await createApp(source, options);
  const host = options.host ?? '127.0.0.1';
  await app.listen({ host, port: options.port ?? 8501 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    app,
    registry,
    close() {
      closed ??= (async () => {
        markClosing();
        const deadline = options.shutdownTimeoutMs ?? 10_000;
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<'late'>((resolve) => {
          timer = setTimeout(() => resolve('late'), deadline);
        });
        // Fastify stops accepting, answers 503 to new requests on open connections, and waits for those in flight.
        const outcome = await Promise.race([app.close().then(() => 'done' as const), late]);
        clearTimeout(timer);
        if (outcome === 'late') {
          // Past the deadline: what is still queued is refused (503 CLOSING) and connections are cut.
          registry.abandonQueued();
          // A moment for those refusals to be written before the sockets go.
          await new Promise((resolve) => setTimeout(resolve, 50));
          app.server.closeAllConnections();
        }
        await registry.close();
      })();
      return closed;
    },
  };
}
