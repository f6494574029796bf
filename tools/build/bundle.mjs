// Bundles a package's JavaScript into a few files with esbuild; types still come from tsc
// (emitDeclarationOnly). Node loads one large module far faster than many small ones: the core
// went from ~250 ms to ~50 ms at start-up, and every command, worker and test process pays it.
//
//   node ../../tools/build/bundle.mjs src/index.ts [src/testing/index.ts] [--inline-dependencies]
//
// Without --inline-dependencies every package import stays an import (plugins keep their heavy
// libraries external, loaded lazily as before); with it the package's dependencies are bundled too.
import fs from 'node:fs';
import { build } from 'esbuild';

const args = process.argv.slice(2);
const inline = args.includes('--inline-dependencies');
const entryPoints = args.filter((a) => !a.startsWith('--'));
if (entryPoints.length === 0) throw new Error('bundle.mjs: give the entry points, e.g. src/index.ts');

// esbuild names chunks by content hash and never removes the old ones, so a dist built twice would
// carry dead chunks into the published tarball. Only esbuild writes this folder; tsc's files stay.
fs.rmSync('dist/chunks', { recursive: true, force: true });

await build({
  entryPoints,
  outdir: 'dist',
  outbase: 'src',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  chunkNames: 'chunks/[name]-[hash]',
  ...(inline
    ? {
        // Bundled CommonJS dependencies (tsyringe, picomatch) call require() for Node's built-ins.
        banner: { js: "import { createRequire as __tributaryCreateRequire } from 'node:module'; const require = __tributaryCreateRequire(import.meta.url);" },
      }
    : { packages: 'external' }),
  // The test runner of `@tributary/core/testing` is the user's own (an optional peer), never bundled.
  external: ['vitest'],
  logLevel: 'warning',
});
