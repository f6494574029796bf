import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { createStemmer } from '@tributary/plugin-natural';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);

/** Martin Porter's published vocabulary and its reference output, as shipped in the porter-stemmer package. */
function porterReference(): Array<[string, string]> {
  const dir = path.join(path.dirname(require.resolve('porter-stemmer/package.json')), 'test');
  const words = fs.readFileSync(path.join(dir, 'input.txt'), 'utf8').split('\n');
  const stems = fs.readFileSync(path.join(dir, 'output.txt'), 'utf8').split('\n');
  return words.map((w, i) => [w.trim(), stems[i]!.trim()] as [string, string]).filter(([w]) => w !== '');
}

describe('Porter stemmer', () => {
  it("matches the published reference output word for word on Porter's vocabulary", () => {
    const reference = porterReference();
    expect(reference.length).toBeGreaterThan(23_000);
    const stem = createStemmer('porter');
    const mismatches = reference.filter(([word, expected]) => stem(word) !== expected);
    expect(mismatches).toEqual([]);
  });
});

describe('Lancaster (Paice/Husk) stemmer', () => {
  it("gives the stems of the algorithm's published examples", () => {
    const stem = createStemmer('lancaster');
    const examples: Array<[string, string]> = [
      ['maximum', 'maxim'], // "-um" removed while the word is intact
      ['presumably', 'presum'], // "-um" kept once the word is no longer intact
      ['multiply', 'multiply'], // "-ply" protected
      ['provision', 'provid'], // "-sion" → "-j" → "-d"
      ['owed', 'ow'], // a vowel-initial stem may have two letters
      ['ear', 'ear'], // ... but not one
      ['saying', 'say'], // a consonant-initial stem needs three letters with a vowel or y
      ['crying', 'cry'],
      ['string', 'string'],
      ['meant', 'meant'],
      ['cement', 'cem'], // "-ment" would leave "ce"; "-ent" leaves an acceptable "cem"
    ];
    expect(examples.map(([w]) => stem(w))).toEqual(examples.map(([, s]) => s));
  });

  it('follows the rule table by hand on two longer chains', () => {
    const stem = createStemmer('lancaster');
    // absence: e1> → absenc; cn1t> → absent; tne3> → abs; s*1> needs an intact word, s0. protects → abs
    expect(stem('absence')).toBe('abs');
    // abase: e1> → abas; then only s0. applies (protect) → abas
    expect(stem('abase')).toBe('abas');
  });
});

describe('both stemmers', () => {
  it('leave tokens outside a–z as they are (other scripts, accents, digits, placeholders, short words)', () => {
    for (const algorithm of ['porter', 'lancaster'] as const) {
      const stem = createStemmer(algorithm);
      for (const token of ['café', 'naïve', 'são', 'नमस्ते', '東京', '2002s', '__url__', 'is', "don't"]) expect(stem(token)).toBe(token);
    }
  });

  it('return the same stem from the memo as from a fresh call', () => {
    const memo = createStemmer('porter', 2);
    const fresh = () => createStemmer('porter', 0);
    for (const w of ['running', 'runs', 'generalization', 'running', 'runs', 'oscillators']) expect(memo(w)).toBe(fresh()(w));
  });
});
