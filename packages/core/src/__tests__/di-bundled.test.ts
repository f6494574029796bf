import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Bundles core + a plugin with esbuild (no design:paramtypes), as an application bundler would. */
async function bundle(): Promise<Record<string, any>> {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-di-')), 'bundle.mjs');
  await build({
    entryPoints: [path.join(here, 'fixtures/bundle-entry.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: out,
    conditions: ['@tributary/source'],
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    logLevel: 'silent',
  });
  const code = fs.readFileSync(out, 'utf8');
  // tsyringe's reader mentions the key; what must be absent is any emitted metadata for our classes.
  expect(code).not.toMatch(/__metadata\(\s*["']design:paramtypes/);
  return import(pathToFileURL(out).href);
}

describe('dependency injection in bundled output (case C22)', () => {
  it('resolves stages whose constructor parameters all carry @inject, with no decorator metadata', async () => {
    const lib = await bundle();
    const runtime = lib.createRuntime({ plugins: [lib.toyPlugin()] });
    const resolved = runtime.resolve(lib.scale({ factor: 4 }));
    expect(resolved.instance.logger).toBe(runtime.logger);
    const model = await runtime.pipeline([lib.scale({ factor: 4 }), lib.center()]).fit([{ x: 1 }, { x: 3 }]);
    // y = 4, 12 → mean 8 → centered -4, 4
    expect((await model.predict([{ x: 1 }, { x: 3 }])).map((r: { centered: number }) => r.centered)).toEqual([-4, 4]);
  });

  it('shows the fault it guards against: an implicit constructor type cannot be resolved without metadata', async () => {
    const lib = await bundle();
    expect(() => lib.container.resolve(lib.NeedsImplicitType)).toThrow(/TypeInfo not known/);
  });
});
