import { createRuntime } from '@tributary/core';
import { natural, stopwords, tokenize } from '@tributary/plugin-natural';
import { describe, expect, it } from 'vitest';
import pkg from '../../package.json' with { type: 'json' };

describe('the natural plugin', () => {
  it('declares the version of its package and registers its kinds', () => {
    expect(natural.version).toBe(pkg.version);
    expect(natural.core).toBe(pkg.peerDependencies['@tributary/core']);
    expect(createRuntime({ plugins: [natural] }).kinds()).toEqual([
      'natural:email-text',
      'natural:redact',
      'natural:stem',
      'natural:stopwords',
      'natural:tfidf',
      'natural:tokenize',
    ]);
  });

  it('removes stop words of the chosen language, with additions and exceptions', async () => {
    const model = await createRuntime({ plugins: [natural] })
      .pipeline([tokenize(), stopwords({ add: ['spam'], keep: ['not'] })])
      .fit([]);
    const [out] = await model.predict([{ text: 'This is not the spam you are looking for' }]);
    expect(out!.tokens).toEqual(['not', 'looking']);
    const fr = await createRuntime({ plugins: [natural] }).pipeline([tokenize(), stopwords({ language: 'fr' })]).fit([]);
    const [fout] = await fr.predict([{ text: 'le chat et la souris' }]);
    expect(fout!.tokens).toEqual(['chat', 'souris']);
  });
});
