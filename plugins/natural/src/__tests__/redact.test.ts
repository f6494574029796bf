import { createRuntime } from '@tributary/core';
import { natural, redact, redactText, tokenizeText } from '@tributary/plugin-natural';
import { describe, expect, it } from 'vitest';

const r = (text: string) => redactText(text).text.replace(/\s+/g, ' ').trim();

describe('redact', () => {
  it('replaces e-mail addresses, URLs, IP addresses and phone numbers with placeholders', () => {
    expect(r('Write to jane.doe+news@mail.example.co.uk now')).toBe('Write to __email__ now');
    expect(r('See https://example.com/a?b=c#d, or www.example.org.')).toBe('See __url__ , or __url__ .');
    expect(r('from 192.168.0.1 and 2001:db8::8a2e:370:7334 and fe80:0:0:0:202:b3ff:fe1e:8329')).toBe('from __ip__ and __ip__ and __ip__');
    expect(r('Call +1 (555) 123-4567 or 020 7946 0958 or 555.123.4567')).toBe('Call __phone__ or __phone__ or __phone__');
  });

  it('leaves dates, times, versions, prices and long numbers alone', () => {
    for (const text of ['on 2002-08-22 at 13:17:22', 'version 1.2.3', 'only $1,000,000', 'id 12345678901234567890', 'octet 999.1.1.1', 'at 12:30', 'pay 3.50']) {
      expect(r(text)).toBe(text);
    }
  });

  it('redacts a URL with credentials whole, and an address on a www host as an address', () => {
    expect(r('reset at http://alice:hunter2@example.com/reset?user=alice&token=abc now')).toBe('reset at __url__ now');
    expect(r('mail bob@www.example.com today')).toBe('mail __email__ today');
  });

  it('counts each kind', () => {
    expect(redactText('a@b.io http://x.io 10.0.0.1 555-123-4567 c@d.io').counts).toEqual({ email: 2, url: 1, ip: 1, phone: 1 });
  });

  it('refuses a stage that would redact nothing, or write its counts over the redacted text', async () => {
    const runtime = createRuntime({ plugins: [natural] });
    expect(() => runtime.resolve(redact({ kinds: [] }))).toThrow(expect.objectContaining({ code: 'INVALID_PARAMS', param: 'kinds' }));
    // The output defaults to the input, 'text'.
    expect(() => runtime.resolve(redact({ countsField: 'text' }))).toThrow(expect.objectContaining({ code: 'INVALID_PARAMS', stage: 'natural:redact', param: 'countsField' }));
    // With the text redacted elsewhere, the counts may take the original's place.
    const model = await runtime.pipeline([redact({ output: 'clean', countsField: 'text' })]).fit([]);
    const [out] = await model.predict([{ text: 'mail a@b.io' }]);
    expect(Object.keys(out!).sort()).toEqual(['clean', 'text']);
    expect(out!.text).toEqual({ email: 1, url: 0, ip: 0, phone: 0 });
    // Placeholders are set off by spaces, so that they stay tokens of their own.
    expect((out!.clean as string).replace(/\s+/g, ' ').trim()).toBe('mail __email__');
  });

  it('produces placeholders the tokenizer keeps whole', () => {
    expect(tokenizeText(redactText('mail me at bob@example.com or visit http://spam.example').text)).toEqual(['mail', 'me', 'at', '__email__', 'or', 'visit', '__url__']);
  });
});
