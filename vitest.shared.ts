import path from 'node:path';
import { defaultServerConditions, defaultClientConditions } from 'vite';
import { defineConfig, type ViteUserConfig } from 'vitest/config';

/** The export condition that points workspace packages at their TypeScript sources. */
export const SOURCE_CONDITION = '@tributary/source';

const workspaceRoot = path.dirname(new URL(import.meta.url).pathname);

/**
 * Shared vitest settings for every workspace package: tests resolve `@tributary/*` to `src/` through
 * the source condition, so no build is needed before `npm test`. In CI a JSON report per project is
 * written to `.reports/` so `.ci/run` can print one closing line for the whole run.
 */
export function projectConfig(projectDir: string, overrides: ViteUserConfig['test'] = {}): ViteUserConfig {
  const name = path.relative(workspaceRoot, projectDir).replaceAll(path.sep, '-');
  const reporters: NonNullable<ViteUserConfig['test']>['reporters'] = process.env.CI
    ? ['default', ['json', { outputFile: path.join(workspaceRoot, '.reports', `${name}.json`) }]]
    : ['default'];
  return defineConfig({
    root: projectDir,
    resolve: { conditions: [SOURCE_CONDITION, ...defaultClientConditions] },
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
