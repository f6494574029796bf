import { createRuntime, createRandom } from '@tributary/core';
import { natural, stem, tokenize, tokenizeText, DEFAULT_TOKENIZE_OPTIONS } from '@tributary/plugin-natural';
import { describe, expect, it } from 'vitest';
import samples from './fixtures/c02-tokenizer-samples.json' with { type: 'json' };

// Case C02: the inputs of natural's tokenizer bug reports, with the tokens a correct tokenizer gives.
const text = (id: string) => samples.find((s) => s.id === id)!.text;
const raw = { ...DEFAULT_TOKENIZE_OPTIONS, lowercase: false };

describe('tokenize: letters, marks and digits of any script (case C02)', () => {
  it('keeps accented Latin words whole', () => {
    expect(tokenizeText(text('pt-accent'), raw)).toEqual(['São', 'Paulo']);
    expect(tokenizeText(text('fr-accent'), raw)).toEqual(['naïve', 'café']);
    expect(tokenizeText(text('de-eszett'), raw)).toEqual(['fußball', 'ça', 'va']);
  });

  it('keeps Devanagari letters together with their combining marks', () => {
    expect(tokenizeText(text('hi-devanagari'), raw)).toEqual(['नमस्ते', 'दुनिया']);
  });

  it('segments Japanese and Chinese written without spaces, losing nothing', () => {
    for (const id of ['ja-no-spaces', 'zh-no-spaces']) {
      const tokens = tokenizeText(text(id), raw);
      expect(tokens.length).toBeGreaterThan(1);
      expect(tokens.join('')).toBe(text(id));
    }
  });

  it('keeps emoji sequences whole (variation selector, skin tone) or drops them whole', () => {
    expect(tokenizeText(text('emoji'), raw)).toEqual(['I', '\u2764\uFE0F', 'NLP', '😀', 'so', 'much']);
    expect(tokenizeText(text('emoji-skin-tone'), raw)).toEqual(['ok', '👍🏽', 'thanks']);
    expect(tokenizeText(text('emoji'), { ...raw, emoji: 'drop' })).toEqual(['I', 'NLP', 'so', 'much']);
    expect(tokenizeText('family 👨‍👩‍👧 flag 🇫🇷', raw)).toEqual(['family', '👨‍👩‍👧', 'flag', '🇫🇷']);
  });

  it('segments a long unbroken run of Chinese in pieces without losing a character', () => {
    const run = '我爱自然语言处理'.repeat(25_000); // 200,000 characters, no space or punctuation
    const tokens = tokenizeText(run);
    expect(tokens.length).toBeGreaterThan(50_000);
    expect(tokens.join('')).toBe(run);
  });

  it("keeps inner apostrophes: \"don't\" is one token (the documented choice)", () => {
    expect(tokenizeText(text('apostrophe'), raw)).toEqual(["don't", 'stop']);
    expect(tokenizeText('it’s fine')).toEqual(['it’s', 'fine']);
  });

  it('normalises to NFC so composed and decomposed accents give one token', () => {
    expect(tokenizeText('cafe\u0301 café')).toEqual(['café', 'café']);
  });

  it('never emits an ill-formed string, whatever the input (lone surrogates included)', () => {
    const random = createRandom(2026);
    const alphabet = [0x61, 0x20, 0xe9, 0x301, 0x928, 0x94d, 0x6771, 0xd83d, 0xde00, 0xdc00, 0xfe0f, 0x200d, 0x2764, 0x27, 0x2e];
    for (let n = 0; n < 2000; n++) {
      const units = Array.from({ length: 1 + random.int(24) }, () => alphabet[random.int(alphabet.length)]!);
      const input = String.fromCharCode(...units);
      for (const token of tokenizeText(input)) expect(token.isWellFormed()).toBe(true);
    }
    expect(tokenizeText('ab\ud83d cd')).toEqual(['ab', 'cd']);
  });

  it('does not lose "São" or cut "cafés" when stemming follows (natural\'s tokenizeAndStem does)', async () => {
    const runtime = createRuntime({ plugins: [natural] });
    const model = await runtime.pipeline([tokenize(), stem()]).fit([]);
    const [out] = await model.predict([{ text: 'São Paulo cafés' }]);
    expect(out!.tokens).toEqual(['são', 'paulo', 'cafés']);
  });

  it('warns when a non-empty text yields no token, and keeps the record', async () => {
    const runtime = createRuntime({ plugins: [natural] });
    const warnings: string[] = [];
    runtime.events.on('warning', (e) => warnings.push(e.code));
    const model = await runtime.pipeline([tokenize()]).fit([]);
    const out = await model.predict([{ text: '!!! ??? …' }, { text: 'fine' }]);
    expect(out.map((r) => r.tokens)).toEqual([[], ['fine']]);
    expect(warnings).toEqual(['EMPTY_TOKENS']);
  });

  it('refuses a maxLength below minLength (no token could pass), and keeps exactly the tokens of a length both allow', async () => {
    const runtime = createRuntime({ plugins: [natural] });
    expect(() => runtime.resolve(tokenize({ minLength: 3, maxLength: 2 }))).toThrow(expect.objectContaining({ code: 'INVALID_PARAMS', stage: 'natural:tokenize', param: 'maxLength' }));
    const model = await runtime.pipeline([tokenize({ minLength: 3, maxLength: 3 })]).fit([]);
    const [out] = await model.predict([{ text: 'a bb ccc dddd eee' }]);
    expect(out!.tokens).toEqual(['ccc', 'eee']);
  });

  it('rejects a record whose field is not text with INVALID_RECORD', async () => {
    const runtime = createRuntime({ plugins: [natural] });
    const model = await runtime.pipeline([tokenize()]).fit([]);
    await expect(model.predict([{ id: 'x', text: 42 }])).rejects.toMatchObject({ code: 'INVALID_RECORD', stage: 'natural:tokenize', recordId: 'x' });
  });
});
