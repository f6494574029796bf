// The map step of the csv-stream benchmark as a stage of a small plugin, so that an executor's workers can
// rebuild it (a closure cannot cross to a thread): a derived field, as a cleaning step would add.
import { type Batch, STAGE_PARAMS, type Stage, type Static, Type, defineStage, definePlugin, inject, injectable, stageSpec } from '@tributary/core';

const HotParams = Type.Object(
  {
    /** The numeric field compared. */
    input: Type.String({ minLength: 1, default: 'temp' }),
    /** The field that receives true when the value is above `above`. */
    output: Type.String({ minLength: 1, default: 'hot' }),
    above: Type.Number({ default: 30 }),
  },
  { additionalProperties: false },
);
type HotParams = Static<typeof HotParams>;

/** `hot`: whether a reading is above a limit (false for a missing or non-numeric one). The record is changed in place, as the benchmark's closure did. */
@injectable()
class HotStage implements Stage {
  readonly kind = 'bench:hot';
  constructor(@inject(STAGE_PARAMS) private readonly params: HotParams) {}
  transform(batch: Batch): Batch {
    const { input, output, above } = this.params;
    for (const record of batch) {
      const value = record[input];
      record[output] = typeof value === 'number' && value > above;
    }
    return batch;
  }
}

export const hot = stageSpec<Partial<HotParams>>('bench:hot');

export const benchPlugin = definePlugin({
  name: '@tributary/bench',
  version: '0.0.0',
  core: '^0.1.0',
  module: import.meta.url,
  stages: [defineStage({ kind: 'bench:hot', description: 'Whether a reading is above a limit.', params: HotParams, fields: (p) => ({ reads: [p.input], writes: [p.output] }), implementation: HotStage, worker: true })],
});
