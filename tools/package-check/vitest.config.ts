import { fileURLToPath } from 'node:url';
import { projectConfig } from '../../vitest.shared.ts';

// Packing eight packages, three npm installs and two TypeScript consumers take about a minute on a
// warm npm cache; a cold cache fetches natural's and sharp's dependencies from the registry first.
export default projectConfig(fileURLToPath(new URL('.', import.meta.url)), {
  testTimeout: 600_000,
  hookTimeout: 600_000,
});
