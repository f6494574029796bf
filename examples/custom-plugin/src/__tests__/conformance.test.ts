import { describeConformance } from '@tributary/core/testing';
import { appendSignals, mailSignals, signals } from '../mail-signals/index.js';

// The user's plugin keeps the same contract as the official ones, checked by the same suite.
describeConformance({
  plugin: mailSignals,
  cases: [
    {
      spec: signals({ input: 'text', output: 'signals' }),
      records: [
        { id: 'a', text: 'WIN $1,000 NOW!!! Visit https://example.com/offer', label: 1 },
        { id: 'b', text: 'Minutes of the meeting are attached.', label: 0 },
        { id: 'c', text: '', label: 0 },
      ],
      bad: [{ id: 'x', text: 42 }, { id: 'y', text: ['not', 'text'] }],
      badParams: [{ minWordLength: 1 }, { input: 3 }],
    },
    {
      spec: appendSignals({ output: 'x' }),
      records: [
        { id: 'a', features: [1, 2], signals: [0, 5] },
        { id: 'b', features: [3, 4], signals: [1, 5] },
        { id: 'c', features: [5, 6], signals: [3, 5] },
      ],
      bad: [{ id: 'x', features: [1, 2], signals: [-1, 5] }, { id: 'y', features: 'none', signals: [0, 5] }],
      badParams: [{ log: 'yes' }],
    },
  ],
});
