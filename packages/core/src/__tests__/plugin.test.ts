import { CORE_VERSION, RunReport, STAGE_PARAMS, Type, createRuntime, definePlugin, defineStage, inject, injectable, isTributaryError, validateParams } from '@tributary/core';
import { describe, expect, it } from 'vitest';
import corePackage from '../../package.json' with { type: 'json' };
import { ScaleStage, scale, toyPlugin } from './fixtures/toy-plugin.js';

const catchError = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return error as Record<string, unknown>;
  }
  throw new Error('expected an error');
};

describe('plugin registration', () => {
  it('keeps CORE_VERSION equal to the package version', () => {
    expect(CORE_VERSION).toBe(corePackage.version);
  });

  it('refuses two plugins that provide the same kind, naming both', () => {
    const error = catchError(() => createRuntime({ plugins: [toyPlugin('^0.1.0', 'a'), toyPlugin('^0.1.0', 'b')] }));
    expect(error.code).toBe('DUPLICATE_KIND');
    expect(error.message).toMatch(/both a and b/);
  });

  it('refuses a plugin whose core range this core does not satisfy, saying what to install', () => {
    const error = catchError(() => createRuntime({ plugins: [toyPlugin('^2.0.0')] }));
    expect(error.code).toBe('CORE_VERSION_MISMATCH');
    expect(error.message).toContain('^2.0.0');
    expect(error.message).toContain(CORE_VERSION);
  });

  it('refuses malformed plugins and kinds', () => {
    const error = catchError(() =>
      definePlugin({ name: 'x', version: 'one', core: '^0.1.0', stages: [defineStage({ kind: 'NoDomain', description: '', params: Type.Object({}), fields: () => ({ reads: [], writes: [] }), implementation: ScaleStage })] }),
    );
    expect(error.code).toBe('PLUGIN_INVALID');
    expect(error.message).toMatch(/semver version/);
    expect(error.message).toMatch(/<domain>:<step>/);
  });

  it('rejects registrations once the runtime has built stages', () => {
    const runtime = createRuntime({ plugins: [toyPlugin()] });
    runtime.resolve(scale());
    expect(catchError(() => runtime.use(toyPlugin('^0.1.0', 'late'))).code).toBe('RUNTIME_STARTED');
  });

  it('names the stage and the param for invalid params, all at once, and suggests the closest name', () => {
    const runtime = createRuntime({ plugins: [toyPlugin()] });
    const error = catchError(() => runtime.resolve({ kind: 'toy:scale', params: { factr: 2, input: 7 } }));
    expect(error.code).toBe('INVALID_PARAMS');
    expect(error.stage).toBe('toy:scale');
    expect(error.message).toContain("unknown param 'factr' (did you mean 'factor'?)");
    expect(error.message).toContain("param 'input'");
  });

  it('suggests the closest kind for a typo in a registered domain', () => {
    const error = catchError(() => createRuntime({ plugins: [toyPlugin()] }).resolve({ kind: 'toy:sacle', params: {} }));
    expect(error.code).toBe('UNKNOWN_KIND');
    expect(error.message).toContain("Did you mean 'toy:scale'?");
  });

  it('injects the runtime services into stages, each runtime its own', () => {
    const a = createRuntime({ plugins: [toyPlugin()] });
    const b = createRuntime({ plugins: [toyPlugin()] });
    const sa = a.resolve(scale()).instance as ScaleStage;
    const sb = b.resolve(scale()).instance as ScaleStage;
    expect(sa.logger).toBe(a.logger);
    expect(sb.logger).toBe(b.logger);
    expect(a.container).not.toBe(b.container);
  });

  it('reports a class missing @injectable as a typed error', () => {
    class Plain {
      readonly kind = 'bare:stage';
      constructor(@inject(STAGE_PARAMS) readonly params: unknown) {}
      transform() {
        return [];
      }
    }
    @injectable()
    class Fine extends Plain {}
    const plugin = (impl: typeof Plain) =>
      definePlugin({ name: 'bare', version: '1.0.0', core: '^0.1.0', stages: [defineStage({ kind: 'bare:stage', description: '', params: Type.Object({}), fields: () => ({ reads: [], writes: [] }), implementation: impl })] });
    expect(isTributaryError(catchError(() => createRuntime({ plugins: [plugin(Plain)] }).resolve({ kind: 'bare:stage', params: {} })), 'STAGE_FAILED')).toBe(true);
    expect(createRuntime({ plugins: [plugin(Fine)] }).resolve({ kind: 'bare:stage', params: {} }).instance).toBeInstanceOf(Fine);
  });
});

describe('mistakes in how the API is called', () => {
  it('lists the allowed values of an enumerated param and suggests the closest', () => {
    const plugin = definePlugin({
      name: 'enum',
      version: '1.0.0',
      core: '^0.1.0',
      stages: [
        defineStage({
          kind: 'enum:stage',
          description: '',
          params: Type.Object({ algorithm: Type.Union([Type.Literal('porter'), Type.Literal('lancaster')], { default: 'porter' }) }, { additionalProperties: false }),
          fields: () => ({ reads: [], writes: [] }),
          implementation: ScaleStage,
        }),
      ],
    });
    const error = catchError(() => createRuntime({ plugins: [plugin] }).resolve({ kind: 'enum:stage', params: { algorithm: 'portr' } }));
    expect(error.message).toContain(`param 'algorithm' must be one of "porter", "lancaster" (got "portr"; did you mean "porter"?)`);
  });

  it('refuses unknown runtime and run options instead of ignoring them', async () => {
    expect(catchError(() => createRuntime({ plugin: [toyPlugin()] } as never))).toMatchObject({ code: 'INVALID_PARAMS', message: expect.stringContaining("did you mean 'plugins'") });
    expect(catchError(() => createRuntime({ plugins: toyPlugin() as never }))).toMatchObject({ code: 'INVALID_PARAMS', param: 'plugins' });
    const runtime = createRuntime({ plugins: [toyPlugin()] });
    await expect(runtime.pipeline([scale()]).fit([{ x: 1 }], { errorPolicy: 'skipp' as never })).rejects.toMatchObject({ code: 'INVALID_PARAMS', param: 'errorPolicy' });
    await expect(runtime.pipeline([scale()]).fit([{ x: 1 }], { errorPolicey: 'skip' } as never)).rejects.toMatchObject({ message: expect.stringContaining("did you mean 'errorPolicy'") });
  });

  it('explains a pipeline of something other than stage specs', () => {
    const runtime = createRuntime({ plugins: [toyPlugin()] });
    expect(catchError(() => runtime.pipeline(scale() as never))).toMatchObject({ code: 'INVALID_PARAMS', message: expect.stringContaining('array of stage specs') });
    expect(catchError(() => runtime.pipeline([scale as never]))).toMatchObject({ message: expect.stringContaining('call the spec helper') });
  });

  it('rejects inputs that are not records, and names records without id by position', async () => {
    const runtime = createRuntime({ plugins: [toyPlugin()] });
    const model = await runtime.pipeline([scale()]).fit([]);
    const report = new RunReport();
    const out = await model.predict(['text', { x: 2 }, { x: 'bad' }] as never, { errorPolicy: 'skip', report });
    expect(out.map((r) => r.y)).toEqual([4]);
    expect(report.samples.map((s) => [s.recordId, s.code])).toEqual([
      [0, 'INVALID_RECORD'],
      [2, 'INVALID_RECORD'],
    ]);
    await expect(model.predict([{ x: 1 }, { x: 'bad' }])).rejects.toMatchObject({ recordId: 1, message: expect.stringContaining('record #1 of the input (no id)') });
  });
});

describe('params that are a list of tagged objects', () => {
  const Shape = Type.Union([
    Type.Object({ type: Type.Literal('circle'), radius: Type.Number({ minimum: 0 }) }, { additionalProperties: false }),
    Type.Object({ type: Type.Union([Type.Literal('square'), Type.Literal('diamond')]), side: Type.Integer({ minimum: 1 }), fill: Type.Boolean({ default: false }) }, { additionalProperties: false }),
  ]);
  const schema = Type.Object({ shapes: Type.Array(Shape) }, { additionalProperties: false });
  const message = (shapes: unknown[]) => {
    try {
      validateParams('toy:shapes', schema, { shapes });
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  };

  it('reports the fields of the member its tag names, not "expected union value"', () => {
    expect(message([{ type: 'circle', radius: 1 }, { type: 'square', side: 2 }])).toBeUndefined();
    expect(message([{ type: 'circle' }])).toContain("field 'shapes.0.radius' is missing");
    expect(message([{ type: 'circle', radius: 1 }, { type: 'diamond', side: 0 }])).toContain("field 'shapes.1.side' expected integer to be greater or equal to 1 (got 0)");
    expect(message([{ type: 'sqare', side: 2 }])).toContain('field \'shapes.0.type\' must be one of "circle", "square", "diamond" (got "sqare"; did you mean "square"?)');
    expect(message([{ type: 'square', side: 2, colour: 'red' }])).toContain("unknown field 'shapes.0.colour'; known fields: type, side, fill");
    expect(message([{ type: 'circle', radius: -1 }])).not.toContain('union');
  });
});
