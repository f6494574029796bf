import { createRuntime } from '@tributary/core';
import { SIGNAL_NAMES, mailSignals, measureSignals, signals } from '@tributary/example-custom-plugin';
import { describe, expect, it } from 'vitest';

// Counted by hand. Links: the URL and the www. address. Outside them: "$1,000" and "500 dollars" are money;
// the words of three letters or more are FREE, money, Visit, today, Claim, dollars, NOW (not "or"), two of
// seven in capitals; "!!!" and "!" make four.
const OFFER = 'FREE money!!! Visit http://win.example/now or www.prizes.example today. Claim $1,000 or 500 dollars NOW!';
// Eight words of three letters or more, none in capitals; nothing else.
const MEETING = 'Hi Bob, the meeting moved to Tuesday. See you there.';
// One link (the www. after https:// is part of it; the full stop after it is not). Money: "$50" (the USD after
// it is the same sum), "$45.50" of US$45.50, "20 EUR"; not "3.35%". Words: Order, Only, USD, Pay, EUR, not,
// more (not "at", "or", "US"): two of seven in capitals. One "!".
const ORDER = 'Order at https://www.shop.example/deals?id=7. Only $50 USD (or US$45.50)! Pay 20 EUR, not 3.35% more.';

describe('measureSignals', () => {
  it('counts links, sums of money and exclamation marks, and the share of words in capitals', () => {
    expect(measureSignals(OFFER)).toEqual({ links: 2, moneyAmounts: 2, shouting: 2 / 7, exclamations: 4 });
    expect(measureSignals(MEETING)).toEqual({ links: 0, moneyAmounts: 0, shouting: 0, exclamations: 0 });
    expect(measureSignals(ORDER)).toEqual({ links: 1, moneyAmounts: 3, shouting: 2 / 7, exclamations: 1 });
    expect(measureSignals('')).toEqual({ links: 0, moneyAmounts: 0, shouting: 0, exclamations: 0 });
  });

  it('reads links apart from the prose: their capitals are not shouting, their "$" no money, the "!" after them the sentence\'s', () => {
    // Words outside the link: "See" (not shouting). The "!" ends the sentence, not the link.
    expect(measureSignals('See HTTP://SHOP.EXAMPLE/WIN/$5!')).toEqual({ links: 1, moneyAmounts: 0, shouting: 0, exclamations: 1 });
  });

  it('reads any script: Greek capitals shout, a caseless Chinese word never does, short words do not count', () => {
    // ΔΩΡΕΑΝ (6 letters, capitals), δώρο (4), 免费赠品 (4, no case); OK has 2 letters, below the default 3.
    const text = 'ΔΩΡΕΑΝ δώρο €20 免费赠品 OK';
    expect(measureSignals(text)).toEqual({ links: 0, moneyAmounts: 1, shouting: 1 / 3, exclamations: 0 });
    // With words of two letters counted, OK joins: 2 of 4.
    expect(measureSignals(text, 2).shouting).toBe(1 / 2);
    // Deseret capitals lie outside the BMP: 𐐀𐐁 is two letters (four UTF-16 units), so below three it is left out.
    expect(measureSignals('𐐀𐐁 abc').shouting).toBe(0);
    expect(measureSignals('𐐀𐐁 abc', 2).shouting).toBe(1 / 2);
  });
});

describe('mail:signals in a pipeline', () => {
  it('writes the signals in SIGNAL_NAMES order and rejects a record without text, saying what to put before it', async () => {
    expect(SIGNAL_NAMES).toEqual(['links', 'moneyAmounts', 'shouting', 'exclamations']);
    const runtime = createRuntime({ plugins: [mailSignals] });
    const model = await runtime.pipeline([signals({ input: 'body', output: 'mail' })]).fit([{ body: '' }]);
    const answers = await model.predictEach([{ id: 'offer', body: OFFER }, { id: 'number', body: 42 }, { id: 'none' }]);
    expect(answers[0]!.record).toEqual({ id: 'offer', body: OFFER, mail: [2, 2, 2 / 7, 4] });
    expect(answers[1]!.error).toMatchObject({ code: 'INVALID_RECORD', stage: 'mail:signals' });
    expect(answers[1]!.error!.message).toContain("Field 'body' should hold the message's text but holds number");
    expect(answers[2]!.error!.message).toContain('holds nothing. Put emailText before this stage');
  });

  it('takes its params through the schema: a word length below 2 or a misspelt param is INVALID_PARAMS', async () => {
    const build = async (spec: ReturnType<typeof signals>) => createRuntime({ plugins: [mailSignals] }).pipeline([spec]).fit([{ text: '' }]);
    await expect(build(signals({ minWordLength: 1 }))).rejects.toMatchObject({ code: 'INVALID_PARAMS', stage: 'mail:signals' });
    await expect(build(signals({ minWordLenght: 2 } as never))).rejects.toMatchObject({ code: 'INVALID_PARAMS', stage: 'mail:signals' });
  });
});
