// Tokenize + Porter stem over the corpus: natural called directly beside the SDK's stages, same process,
// interleaved rounds, median tokens/s of each and their ratio.
import { createRuntime } from '@tributary/core';
import { spamAssassin } from '@tributary/example-spam-filter';
import { emailText, natural, stem, tokenize } from '@tributary/plugin-natural';
import { createRequire } from 'node:module';
import { emit, median } from './emit.js';

// natural's published typings pull in its TypeScript sources; the raw side needs two of its classes only.
const naturalLib = createRequire(import.meta.url)('natural') as {
  WordTokenizer: new () => { tokenize(text: string): string[] };
  PorterStemmer: { stem(token: string): string };
};

const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const runtime = createRuntime({ plugins: [natural] });
const cleaner = await runtime.pipeline([emailText()]).fit([]);
const texts = (await cleaner.transform(await spamAssassin(), { errorPolicy: 'skip' }).collect()).map((r) => r.text as string);

function rawNatural(): { tokens: number; ms: number } {
  const tokenizer = new naturalLib.WordTokenizer();
  const stemmer = naturalLib.PorterStemmer;
  const t0 = performance.now();
  let tokens = 0;
  for (const text of texts) {
    const stems = tokenizer.tokenize(text.toLowerCase()).map((t) => stemmer.stem(t));
    tokens += stems.length;
  }
  return { tokens, ms: performance.now() - t0 };
}

async function sdk(cacheSize: number): Promise<{ tokens: number; ms: number }> {
  const model = await runtime.pipeline([tokenize(), stem({ cacheSize })]).fit([]);
  const records = texts.map((text) => ({ text }));
  const t0 = performance.now();
  let tokens = 0;
  for await (const r of model.transform(records, { batchSize: 64 })) tokens += (r.tokens as string[]).length;
  return { tokens, ms: performance.now() - t0 };
}

const raw: number[] = [];
const ours: number[] = [];
const oursNoMemo: number[] = [];
let counts = { raw: 0, ours: 0 };
for (let i = 0; i < rounds; i++) {
  const a = rawNatural();
  const b = await sdk(200_000);
  const c = await sdk(0);
  raw.push((a.tokens / a.ms) * 1000);
  ours.push((b.tokens / b.ms) * 1000);
  oursNoMemo.push((c.tokens / c.ms) * 1000);
  counts = { raw: a.tokens, ours: b.tokens };
}
const ratio = median(ours) / median(raw);
emit({
  bench: 'tokenize-stem',
  documents: texts.length,
  tokens: counts,
  rawNaturalTokensPerSecond: Math.round(median(raw)),
  sdkTokensPerSecond: Math.round(median(ours)),
  sdkNoMemoTokensPerSecond: Math.round(median(oursNoMemo)),
  ratio: Math.round(ratio * 1000) / 1000,
  ratioNoMemo: Math.round((median(oursNoMemo) / median(raw)) * 1000) / 1000,
  target: 'ratio ≥ 0.9',
  pass: ratio >= 0.9,
});
