import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createRuntime, definePlugin, isTributaryError } from '@tributary/core';
import { mailSignals } from '@tributary/example-custom-plugin';
import { natural } from '@tributary/plugin-natural';
import { tfjs } from '@tributary/plugin-tfjs';
import { describe, expect, it } from 'vitest';

const pluginDir = fileURLToPath(new URL('../mail-signals/', import.meta.url));

describe('@acme/plugin-mail-signals, registered like an official plugin', () => {
  it('joins a runtime beside natural and tfjs, its kinds and version listed with theirs', () => {
    const runtime = createRuntime({ plugins: [natural, tfjs, mailSignals] });
    expect(runtime.plugins.find((p) => p.name === '@acme/plugin-mail-signals')).toEqual({
      name: '@acme/plugin-mail-signals',
      version: '1.0.0',
      core: '^0.1.0',
      kinds: ['mail:signals', 'mail:append-signals'],
    });
    expect(runtime.kinds()).toEqual(expect.arrayContaining(['mail:signals', 'mail:append-signals', 'natural:tfidf', 'tfjs:dense-classifier']));
  });

  it('is checked as theirs are: a kind another plugin already provides is DUPLICATE_KIND', () => {
    const copy = definePlugin({ name: '@acme/another-plugin', version: '1.0.0', core: '^0.1.0', stages: mailSignals.stages });
    let error: unknown;
    try {
      createRuntime({ plugins: [mailSignals, copy] });
    } catch (e) {
      error = e;
    }
    expect(isTributaryError(error, 'DUPLICATE_KIND')).toBe(true);
    expect((error as Error).message).toContain('@acme/plugin-mail-signals and @acme/another-plugin');
  });

  it('imports nothing but @tributary/core: no official plugin, no core internals', () => {
    const sources = fs.readdirSync(pluginDir).filter((f) => f.endsWith('.ts'));
    expect(sources.length).toBeGreaterThan(0);
    const imported = new Set<string>();
    for (const file of sources) {
      const text = fs.readFileSync(`${pluginDir}${file}`, 'utf8');
      for (const match of text.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)) imported.add(match[1]!);
    }
    expect([...imported].filter((specifier) => !specifier.startsWith('./'))).toEqual(['@tributary/core']);
  });
});
