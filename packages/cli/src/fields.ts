import { csvRows, jsonLines } from '@tributary/core';
import { resolvePathRef } from './sources.js';
import type { SourceSpecValue } from './spec/schema.js';

/** The fields a source's records carry: known exactly (files, a CSV header) or seen on its first record (JSON Lines). */
export interface SourceFields {
  readonly fields: ReadonlySet<string>;
  /** True when every record has exactly these fields; false when they were read off the first record. */
  readonly exact: boolean;
}

/** What the records of a source carry, or undefined when that cannot be told without reading it all. */
export async function sourceFields(source: SourceSpecValue, from: string): Promise<SourceFields | undefined> {
  switch (source.type) {
    case 'files': {
      const fields = new Set(['id', 'path', 'size', 'mtime']);
      if (source.content !== 'none') fields.add(source.field ?? 'raw');
      if (source.label !== undefined) fields.add('label');
      return { fields, exact: true };
    }
    case 'csv': {
      if (source.header === false) return source.columns ? { fields: new Set(source.columns), exact: true } : undefined;
      try {
        const [first] = await csvRows(resolvePathRef(source.path, from), { numbers: false }).take(1).collect();
        return first ? { fields: new Set(Object.keys(first)), exact: true } : undefined;
      } catch {
        return undefined; // the run reports what is wrong with the file
      }
    }
    case 'jsonl': {
      // The first record; a first line that is not one leaves the fields unknown (the run reports it).
      const [first] = await jsonLines(resolvePathRef(source.path, from)).take(1).collect().catch(() => []);
      return first ? { fields: new Set(Object.keys(first)), exact: false } : undefined;
    }
    case 'http':
    case 'sql':
      // Known only once the API answers or the query runs; the run reports a missing field then.
      return undefined;
    case 'concat': {
      // A record of any part may come next: only the fields every part carries are certain.
      const parts = await Promise.all(source.sources.map((s) => sourceFields(s, from)));
      if (parts.some((p) => p === undefined)) return undefined;
      const [head, ...rest] = parts as SourceFields[];
      return { fields: new Set([...head!.fields].filter((f) => rest.every((p) => p.fields.has(f)))), exact: parts.every((p) => p!.exact) };
    }
  }
}
