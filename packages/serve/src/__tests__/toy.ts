import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Batch, STAGE_PARAMS, type Stage, type StageContext, TributaryError, Type, createRuntime, definePlugin, defineStage, inject, injectable, stageSpec } from '@tributary/core';

type TimesParams = { input: string; output: string; factor: number; delayMs: number };

/** y = factor · x after `delayMs` per batch (a model that takes time); a record whose x is not a number is rejected; x = 0 is warned about; x = 'explode' throws. */
@injectable()
class Times implements Stage {
  readonly kind = 'toy:times';
  constructor(@inject(STAGE_PARAMS) private readonly params: TimesParams) {}
  async transform(batch: Batch, ctx: StageContext): Promise<Batch> {
    if (this.params.delayMs > 0) await new Promise((r) => setTimeout(r, this.params.delayMs));
    if (batch.some((r) => r.x === 'explode')) throw new Error('cannot open /srv/models/secret/weights.bin');
    const out: Batch = [];
    for (const record of batch) {
      const x = record[this.params.input];
      if (typeof x !== 'number') ctx.reject(record, new TributaryError('INVALID_RECORD', { stage: this.kind, message: `'${this.params.input}' is not a number` }));
      else {
        if (x === 0) ctx.warn('ZERO_INPUT', `'${this.params.input}' is 0`, record);
        out.push({ ...record, [this.params.output]: x * this.params.factor });
      }
    }
    return out;
  }
}

export const toy = definePlugin({
  name: 'toy',
  version: '1.0.0',
  core: '^0.1.0',
  stages: [
    defineStage({
      kind: 'toy:times',
      description: 'multiply',
      params: Type.Object({ input: Type.String({ default: 'x' }), output: Type.String({ default: 'y' }), factor: Type.Number({ default: 2 }), delayMs: Type.Number({ default: 0 }) }, { additionalProperties: false }),
      fields: (p) => ({ reads: [p.input], writes: [p.output] }),
      implementation: Times,
    }),
  ],
});

export const times = stageSpec<Partial<TimesParams>>('toy:times');
export const runtime = () => createRuntime({ plugins: [toy] });

/** A fitted model of one stage; `save` writes it (with an evaluation, to test the approval rule). */
export const model = (params: Partial<TimesParams> = {}) => runtime().pipeline([times(params)]).fit([]);

export function scratch(name: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `serve-${name}-`));
}

export async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text.startsWith('{') ? JSON.parse(text) : text };
}

/** GET a JSON answer (the tests read its fields freely). */
export const getJson = async (url: string): Promise<any> => (await fetch(url)).json();
