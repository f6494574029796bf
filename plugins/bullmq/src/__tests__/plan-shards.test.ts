import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { planShards } from '@tributary/plugin-bullmq';
import { afterAll, describe, expect, it } from 'vitest';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-plan-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const at = path.join(dir, name);
  fs.writeFileSync(at, text);
  return at;
}

describe('planShards', () => {
  it('cuts at record boundaries by byte offset; blank lines are no records', async () => {
    // Lines and their byte ranges: '{"a":1}\n' 0–8, '\n' 8–9, '  \n' 9–12, '{"a":2}\r\n' 12–21, 'x\n' 21–23, '{"a":4}' 23–30 (no final newline).
    const input = file('mixed.jsonl', '{"a":1}\n\n  \n{"a":2}\r\nx\n{"a":4}');
    expect(await planShards(input, 2)).toEqual({
      records: 4,
      shards: [
        { start: 0, end: 21, first: 0, count: 2 },
        { start: 21, end: 30, first: 2, count: 2 },
      ],
    });
    expect(await planShards(input, 3)).toEqual({
      records: 4,
      shards: [
        { start: 0, end: 23, first: 0, count: 3 },
        { start: 23, end: 30, first: 3, count: 1 },
      ],
    });
  });

  it('counts multi-byte text by bytes, and gives no shard for an empty file', async () => {
    // 'é' is 2 bytes in UTF-8: '{"t":"é"}\n' is 11 bytes.
    const input = file('utf8.jsonl', '{"t":"é"}\n{"t":"é"}\n{"t":"é"}\n');
    expect(await planShards(input, 2)).toEqual({ records: 3, shards: [{ start: 0, end: 22, first: 0, count: 2 }, { start: 22, end: 33, first: 2, count: 1 }] });
    expect(await planShards(file('empty.jsonl', '\n \n'), 5)).toEqual({ records: 0, shards: [] });
  });
});
