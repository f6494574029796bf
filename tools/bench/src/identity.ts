// A pipeline of one stage that passes records through: the cost of the machinery around a model.
import { type Batch, STAGE_PARAMS, type Stage, Type, createRuntime, definePlugin, defineStage, inject, injectable, stageSpec } from '@tributary/core';

@injectable()
class Identity implements Stage {
  readonly kind = 'bench:identity';
  constructor(@inject(STAGE_PARAMS) readonly params: object) {}
  transform(batch: Batch): Batch {
    return batch;
  }
}

const bench = definePlugin({
  name: 'bench',
  version: '0.0.0',
  core: '^0.1.0',
  stages: [defineStage({ kind: 'bench:identity', description: 'passes records through', params: Type.Object({}), fields: () => ({ reads: ['x'], writes: ['x'] }), implementation: Identity })],
});

export const identityModel = () => createRuntime({ plugins: [bench] }).pipeline([stageSpec<Record<string, unknown>>('bench:identity')({})]).fit([]);
