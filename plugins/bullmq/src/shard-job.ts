import fs from 'node:fs';
import { TributaryError } from '@tributary/core';

/** The queue the runner and its workers use when none is named. */
export const DEFAULT_QUEUE = 'tributary';

/** What a line of the input that is not a JSON object does: answer it with an error line, or fail its shard. */
export type InvalidLines = 'answer' | 'fail';

/** One shard of a run, as it travels on the queue: plain data, enough for any worker on any host. */
export interface ShardJob {
  readonly runId: string;
  readonly shard: number;
  /** The saved model's folder, the same path on every host (a shared file system). */
  readonly model: string;
  /** The JSON Lines input and the byte range [start, end) that holds this shard's records. */
  readonly input: string;
  readonly start: number;
  readonly end: number;
  /** The position of the shard's first record in the input, and how many records it holds. */
  readonly first: number;
  readonly count: number;
  /** Where the shard's part file is committed. */
  readonly partsDir: string;
  readonly idField: string;
  readonly fields?: readonly string[];
  readonly batchSize: number;
  readonly invalidLines: InvalidLines;
}

/** What a worker answers for a shard it finished. */
export interface ShardResult {
  readonly records: number;
  readonly predicted: number;
  readonly rejected: number;
  /** True when the run was cancelled before the shard was done: nothing was written. */
  readonly cancelled?: boolean;
}

/** A shard's progress as the worker reports it. */
export interface ShardProgress {
  readonly done: number;
  readonly count: number;
}

/** BullMQ job ids may not hold ':' nor be bare integers. */
export function shardJobId(runId: string, shard: number): string {
  return `${runId}-${shard}`;
}

export function partFile(shard: number): string {
  return `part-${String(shard).padStart(6, '0')}.jsonl`;
}

/** The Redis hash that says how many shards a run has and whether it was cancelled (next to the queue's own keys). */
export function runKey(queue: string, runId: string): string {
  return `bull:${queue}:tributary-run:${runId}`;
}

/** Run ids name files and job ids: keep them to a safe alphabet. */
export function checkRunId(runId: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/.test(runId)) {
    throw new TributaryError('INVALID_PARAMS', { param: 'runId', message: `A run id is 1–100 letters, digits, '_', '.' or '-' (starting with a letter or digit); got ${JSON.stringify(runId)}.` });
  }
}

/** A shard before it has a run: its byte range and its records. */
export interface ShardRange {
  readonly start: number;
  readonly end: number;
  readonly first: number;
  readonly count: number;
}

const NEWLINE = 0x0a;
function isBlank(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0d;
}

/**
 * Splits a JSON Lines file into shards of `shardSize` records by byte offsets, so each worker reads only
 * its own range. Blank lines are not records (as in core's `jsonLines`); every other line is one, even a
 * broken one, so that it gets an answer in the output.
 */
export async function planShards(input: string, shardSize: number): Promise<{ shards: ShardRange[]; records: number }> {
  const shards: ShardRange[] = [];
  let records = 0;
  let offset = 0;
  let shardStart = 0;
  let shardFirst = 0;
  let content = false;
  const endLine = (lineEnd: number) => {
    if (!content) return;
    content = false;
    records++;
    if (records - shardFirst === shardSize) {
      shards.push({ start: shardStart, end: lineEnd, first: shardFirst, count: shardSize });
      shardStart = lineEnd;
      shardFirst = records;
    }
  };
  for await (const chunk of fs.createReadStream(input) as AsyncIterable<Buffer>) {
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      if (byte === NEWLINE) endLine(offset + i + 1);
      else if (!content && !isBlank(byte)) content = true;
    }
    offset += chunk.length;
  }
  endLine(offset);
  if (records > shardFirst) shards.push({ start: shardStart, end: offset, first: shardFirst, count: records - shardFirst });
  return { shards, records };
}
