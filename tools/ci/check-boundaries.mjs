// Checks the boundaries of ARCHITECTURE.md §5 on the sources: the core imports no plugin and none of the
// heavy libraries; plugins never import each other; nothing reaches into another package's src/.
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const HEAVY = ['natural', '@tensorflow/', 'sharp', '@duckdb/', 'duckdb', 'bullmq', 'fastify', 'ioredis'];
const problems = [];

function* sources(dir) {
  if (!fs.existsSync(dir)) return;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && entry.name !== 'dist') yield* sources(full);
    } else if (/\.(ts|mts|js|mjs)$/.test(entry.name)) {
      yield full;
    }
  }
}

function imports(file) {
  const text = fs.readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from\s+|import\s*\(\s*|require\(\s*)['"]([^'"]+)['"]/g)].map((m) => m[1]);
}

const packageOf = (dir) => JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).name;
const dirs = (group) => (fs.existsSync(path.join(root, group)) ? fs.readdirSync(path.join(root, group)).map((d) => path.join(root, group, d)).filter((d) => fs.existsSync(path.join(d, 'package.json'))) : []);

for (const dir of [...dirs('packages'), ...dirs('plugins')]) {
  const name = packageOf(dir);
  const isCore = name === '@tributary/core';
  const isPlugin = dir.includes(`${path.sep}plugins${path.sep}`);
  for (const file of sources(path.join(dir, 'src'))) {
    const isTest = file.includes(`${path.sep}__tests__${path.sep}`);
    for (const spec of imports(file)) {
      const where = path.relative(root, file);
      if (/(^|\/)(packages|plugins|examples)\/[^/]+\/src\//.test(spec) || /^@tributary\/[^/]+\/src/.test(spec)) problems.push(`${where} reaches into another package's src/: ${spec}`);
      if (isCore && !isTest && (spec.startsWith('@tributary/plugin-') || HEAVY.some((h) => spec === h || spec.startsWith(h.endsWith('/') ? h : `${h}/`)))) {
        problems.push(`${where}: the core must not import ${spec}`);
      }
      if (isPlugin && spec.startsWith('@tributary/plugin-') && spec !== name && !spec.startsWith(`${name}/`)) problems.push(`${where}: a plugin must not import another plugin (${spec})`);
    }
  }
}

if (problems.length > 0) {
  console.error(`Boundary violations (see ARCHITECTURE.md §5):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log('boundaries: ok');
