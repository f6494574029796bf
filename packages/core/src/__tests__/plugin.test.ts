import { CORE_VERSION, STAGE_PARAMS, Type, createRuntime, definePlugin, defineStage, inject, injectable, isTributaryError } from '@tributary/core';
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
