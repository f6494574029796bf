import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRuntime, isTributaryError } from '@tributary/core';
import { features, tabular } from '@tributary/plugin-tabular';
import { describe, expect, it } from 'vitest';

const train = [
  { t: 10, h: 1, mote: 'b', label: 0 },
  { t: 20, h: 1, mote: 'a', label: 0 },
  { t: 30, h: 1, mote: 'b', label: 1 },
  { t: 40, h: 1, mote: 'c', label: 0 },
];

describe('tabular:features', () => {
  it('standardises with the training mean and sd, one-hot encodes categories in sorted order, and saves both', async () => {
    const runtime = createRuntime({ plugins: [tabular] });
    const model = await runtime.pipeline([features({ numeric: ['t', 'h'], categorical: ['mote'] })]).fit(train);
    // t: mean 25, population sd √125 = 11.1803…; h is constant, so it becomes 0. Categories a, b, c.
    const sd = Math.sqrt(125);
    const [a, b] = await model.predict([{ t: 25, h: 1, mote: 'c' }, { t: 47.5, h: 9, mote: 'a' }]);
    expect(a!.features).toEqual([0, 0, 0, 0, 1]);
    expect(b!.features).toEqual([22.5 / sd, 8, 1, 0, 0]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tabular-'));
    try {
      await model.save(dir);
      const loaded = await runtime.load(dir);
      expect(await loaded.predict([{ t: 47.5, h: 9, mote: 'a' }])).toEqual([b]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('learns only from the records it is fitted on: a test record does not move the scale', async () => {
    const runtime = createRuntime({ plugins: [tabular] });
    const model = await runtime.pipeline([features({ numeric: ['t'], scale: 'minmax' })]).fit(train);
    // min 10, max 40: 100 is far outside, and stays so.
    expect((await model.predict([{ t: 100 }, { t: 10 }])).map((r) => r.features)).toEqual([[3], [0]]);
  });

  it('rejects a record with a missing or non-numeric value, and warns on an unseen category', async () => {
    const runtime = createRuntime({ plugins: [tabular] });
    const warnings: string[] = [];
    runtime.events.on('warning', (e) => warnings.push(e.code));
    const model = await runtime.pipeline([features({ numeric: ['t'], categorical: ['mote'] })]).fit(train);
    const out = await model.predictEach([{ t: 'hot', mote: 'a' }, { mote: 'a' }, { t: 25, mote: 'z' }]);
    expect(out.map((p) => p.error?.code ?? 'ok')).toEqual(['INVALID_RECORD', 'INVALID_RECORD', 'ok']);
    expect(out[0]!.error!.message).toMatch(/'t' is "hot", not a finite number/);
    expect(out[2]!.record!.features).toEqual([0, 0, 0, 0]);
    expect(warnings).toEqual(['UNKNOWN_CATEGORY']);
  });

  it('checks its params: some column, none twice', () => {
    const runtime = createRuntime({ plugins: [tabular] });
    const error = (spec: ReturnType<typeof features>) => runtime.pipeline([spec]).fit(train).then(() => undefined, (e: unknown) => e);
    return Promise.all([error(features({})), error(features({ numeric: ['t'], categorical: ['t'] }))]).then(([none, twice]) => {
      expect(isTributaryError(none, 'INVALID_PARAMS')).toBe(true);
      expect((twice as Error).message).toMatch(/named twice/);
    });
  });
});
