import { describeConformance } from '@tributary/core/testing';
import { features, tabular } from '@tributary/plugin-tabular';

describeConformance({
  plugin: tabular,
  cases: [
    {
      spec: features({ numeric: ['t', 'h'], categorical: ['mote'] }),
      records: [
        { id: 'a', t: 10, h: 0.5, mote: 'b', label: 0 },
        { id: 'b', t: 20, h: 0.75, mote: 'a', label: 1 },
        { id: 'c', t: 30, h: 1, mote: 'b', label: 0 },
      ],
      bad: [
        { id: 'text-for-number', t: 'warm', h: 0.5, mote: 'a' },
        { id: 'infinite', t: Number.POSITIVE_INFINITY, h: 0.5, mote: 'a' },
        { id: 'object-for-category', t: 10, h: 0.5, mote: { name: 'a' } },
      ],
      badParams: [{ numeric: 't' }, { numeric: ['t'], scale: 'zscore' }, { numeric: [''] }, { numeric: ['t'], output: 3 }, {}, { numeric: ['t'], categorical: ['t'] }],
    },
  ],
});
