import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The server's Prometheus metrics, on a registry of its own (never prom-client's global one). */
export class ServeMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'model' | 'version' | 'code'>;
  readonly latency: Histogram<'model'>;
  readonly batchSize: Histogram<'model'>;
  readonly batchSeconds: Histogram<'model'>;
  readonly queueDepth: Gauge<'model'>;
  readonly errors: Counter<'model' | 'code'>;
  readonly records: Counter<'model' | 'outcome'>;
  readonly loadFailures: Counter<'model'>;

  constructor(labels: Readonly<Record<string, string>>, depth: () => Array<{ model: string; depth: number }>) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ ...labels });
    collectDefaultMetrics({ register: this.registry, prefix: 'tributary_' });
    this.requests = new Counter({ name: 'tributary_requests_total', help: 'Predict requests answered, by model (_unknown for a name not served), version and HTTP status.', labelNames: ['model', 'version', 'code'], registers });
    this.latency = new Histogram({
      name: 'tributary_request_duration_seconds',
      help: 'Time from a predict request arriving to its answer, queueing included.',
      labelNames: ['model'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.batchSize = new Histogram({ name: 'tributary_batch_size', help: 'Records per model call (micro-batches).', labelNames: ['model'], buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024], registers });
    this.batchSeconds = new Histogram({ name: 'tributary_batch_duration_seconds', help: 'Time the model took per batch.', labelNames: ['model'], buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1], registers });
    this.queueDepth = new Gauge({
      name: 'tributary_queue_depth',
      help: 'Records waiting for a batch, by model.',
      labelNames: ['model'],
      registers,
      collect() {
        this.reset();
        for (const { model, depth: d } of depth()) this.inc({ model }, d);
      },
    });
    this.errors = new Counter({ name: 'tributary_errors_total', help: 'Answers with an error status, by model (_unknown for a name not served, _none outside the model routes) and error code (QUEUE_FULL, TIMEOUT, INVALID_REQUEST, …).', labelNames: ['model', 'code'], registers });
    this.loadFailures = new Counter({ name: 'tributary_model_load_failures_total', help: 'Attempts to load a model version from disk that failed, by model.', labelNames: ['model'], registers });
    this.records = new Counter({ name: 'tributary_records_total', help: 'Instances predicted, by outcome (predicted or rejected by a stage).', labelNames: ['model', 'outcome'], registers });
  }
}
