import { createRequire } from 'node:module';

export type StemAlgorithm = 'porter' | 'lancaster';

const require = createRequire(import.meta.url);

/**
 * The published Porter (1980) and Paice/Husk (1990) algorithms are defined on lower-case English
 * words over a–z. natural applies its rules to any string, so a token such as "café" or "naïve"
 * loses letters ("caf", "naïv") and digits or other scripts get suffixes cut; tokens outside a–z
 * therefore pass through unchanged here. Words of one or two letters are left as they are, as in
 * the reference implementations.
 */
const STEMMABLE = /^[a-z]{3,}$/;

/** A stemmer with a bounded memo: corpora repeat words, so most tokens are stemmed once. */
export function createStemmer(algorithm: StemAlgorithm, cacheSize = 200_000): (token: string) => string {
  const stemmer =
    algorithm === 'porter'
      ? (require('natural/lib/natural/stemmers/porter_stemmer.js') as { stem(t: string): string })
      : (require('natural/lib/natural/stemmers/lancaster_stemmer.js') as { stem(t: string): string });
  const memo = new Map<string, string>();
  return (token) => {
    const cached = memo.get(token);
    if (cached !== undefined) return cached;
    const stem = STEMMABLE.test(token) ? stemmer.stem(token) : token;
    if (memo.size >= cacheSize) memo.clear();
    memo.set(token, stem);
    return stem;
  };
}
