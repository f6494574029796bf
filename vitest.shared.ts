import fs from 'node:fs';
import path from 'node:path';
import { defaultServerConditions, defaultClientConditions } from 'vite';
import { defineConfig, type ViteUserConfig } from 'vitest/config';

/** The export condition that points workspace packages at their TypeScript sources. */
export const SOURCE_CONDITION = '@tributary/source';

const workspaceRoot = path.dirname(new URL(import.meta.url).pathname);

/**
 * With TRIBUTARY_CORE_DIR set to an unpacked `@tributary/core` package (a release from the registry, or the
 * workspace's core as packed), `@tributary/core` and its subpaths resolve to that package's built files
 * instead of the sources: how `tools/ci/lowest-core.mjs` runs a plugin's tests on the oldest core its range allows.
 */
function coreAliases(): Array<{ find: RegExp; replacement: string }> | undefined {
  const dir = process.env.TRIBUTARY_CORE_DIR;
  if (!dir) return undefined;
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { exports: Record<string, string | Record<string, string>> };
  return Object.entries(manifest.exports)
    .filter(([subpath, target]) => subpath !== './package.json' && typeof target === 'object' && target.default)
    .map(([subpath, target]) => ({
      find: new RegExp(`^@tributary/core${subpath.slice(1).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`),
      replacement: path.join(dir, (target as Record<string, string>).default!),
    }));
}

/**
 * Shared vitest settings for every workspace package: tests resolve `@tributary/*` to `src/` through
 * the source condition, so no build is needed before `npm test`. In CI a JSON report per project is
 * written to `.reports/` so `.ci/run` can print one closing line for the whole run.
 */
export function projectConfig(projectDir: string, overrides: ViteUserConfig['test'] = {}): ViteUserConfig {
  const core = coreAliases();
  // A run on another core keeps its own report beside the ordinary run's.
  const name = path.relative(workspaceRoot, projectDir).replaceAll(path.sep, '-') + (core ? '-on-core-floor' : '');
  const reporters: NonNullable<ViteUserConfig['test']>['reporters'] = process.env.CI
    ? ['default', ['json', { outputFile: path.join(workspaceRoot, '.reports', `${name}.json`) }]]
    : ['default'];
  return defineConfig({
    root: projectDir,
    resolve: { conditions: [SOURCE_CONDITION, ...defaultClientConditions], ...(core ? { alias: core } : {}) },
    ssr: { resolve: { conditions: [SOURCE_CONDITION, ...defaultServerConditions] } },
    test: {
      include: ['src/**/*.test.ts'],
      testTimeout: 120_000,
      hookTimeout: 120_000,
      reporters,
      ...overrides,
    },
  });
}
