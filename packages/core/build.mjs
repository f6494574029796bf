// Bundles the core and its dependencies into a few files. Node loads one large module far faster
// than hundreds of small ones (TypeBox alone is ~200 files), and every command and worker that
// imports the core pays that cost at start-up. Types still come from tsc (dist/**/*.d.ts).
import { build } from 'esbuild';

await build({
  entryPoints: ['src/index.ts', 'src/testing/index.ts'],
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  chunkNames: 'chunks/[name]-[hash]',
  // Bundled CommonJS dependencies (tsyringe, picomatch) call require() for Node's built-ins.
  banner: { js: "import { createRequire as __tributaryCreateRequire } from 'node:module'; const require = __tributaryCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
