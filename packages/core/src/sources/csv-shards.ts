import fs from 'node:fs';
import { TributaryError } from '../errors/tributary-error.js';
import type { DataRecord } from '../record/record.js';
import { type CsvOptions, CsvRecordReader, checkCsvOptions, csvColumns } from './csv.js';
import { createDecoder, decodeLoosely, sniffEncoding } from './decode.js';
import { type SourceProblem, checkFile } from './text-sources.js';

/**
 * A CSV file cut into shards of whole rows, so that each can be read on its own (on another thread or
 * host) and give exactly the records the whole file gives read in one pass: the cuts fall only where
 * the tokenizer ends a row, never inside a quoted cell and never between the CR and LF of a line end.
 */

/** Whole rows of a CSV file, without its header, and the line the first of them starts on. */
export interface CsvShard {
  /** 0, 1, 2, … in file order. */
  readonly index: number;
  readonly bytes: Uint8Array;
  readonly firstLine: number;
}

/** What a reader of a shard needs besides its bytes: the file's name, its columns, how to read the cells. */
export interface CsvShardReader {
  readonly name: string;
  readonly columns: readonly string[];
  /** The encoding the bytes are in (`utf-8`, or a single-byte one such as `windows-1252`). */
  readonly encoding: string;
  /** True when the encoding was found from the file's first bytes (`encoding: 'auto'`). */
  readonly detected: boolean;
  /** The CSV options that shape records (all plain data): delimiter, quote, numbers, lineField, maxRowBytes. */
  readonly options: Pick<CsvOptions, 'delimiter' | 'quote' | 'numbers' | 'lineField' | 'maxRowBytes'>;
}

/** A file opened for reading in shards: its reader description, then its shards and the rows the splitter itself gave up on. */
export interface CsvShardSource {
  readonly reader: CsvShardReader;
  shards(): AsyncGenerator<CsvShard | { readonly problem: SourceProblem }>;
}

const LF = 10;
const CR = 13;
/** Bytes of a shard decoded at a time. */
const TEXT_PIECE = 32 * 1024;
/** Single-byte encodings whose bytes below 0x80 are ASCII, so a delimiter, quote or line end is one byte that never occurs inside another character. */
const SINGLE_BYTE = /^(?:windows-125\d|cp125\d|latin1|iso-?8859-\d{1,2}|(?:us-)?ascii|binary)$/i;

/** Why `options` cannot be read in shards (they need the whole stream in one reader), or undefined when they can. */
export function unshardable(options: CsvOptions): string | undefined {
  if (options.schema) return 'a schema is checked in the reading thread';
  if (options.onProblem) return 'onProblem is called in the reading thread; use the run’s error policy instead';
  for (const [param, value] of [['delimiter', options.delimiter ?? ','], ['quote', options.quote ?? '"']] as const) if (value.charCodeAt(0) >= 0x80) return `the ${param} is not an ASCII character`;
  return undefined;
}

/** Line breaks in `b` (CRLF counted once), as the tokenizer counts lines. */
export function countLines(b: Uint8Array, from = 0, to = b.length): number {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  let n = 0;
  for (let i = buf.indexOf(LF, from); i >= 0 && i < to; i = buf.indexOf(LF, i + 1)) n++;
  for (let i = buf.indexOf(CR, from); i >= 0 && i < to; i = buf.indexOf(CR, i + 1)) if (buf[i + 1] !== LF || i + 1 >= to) n++;
  return n;
}

/** Where the line after `from` begins (past its CRLF, LF or CR), −1 when the bytes end first (or end in a CR that may be half a CRLF). */
function lineEnd(b: Buffer, from: number, final: boolean): number {
  const lf = b.indexOf(LF, from);
  const cr = b.indexOf(CR, from);
  if (cr >= 0 && (lf < 0 || cr < lf)) {
    if (cr + 1 < b.length) return b[cr + 1] === LF ? cr + 2 : cr + 1;
    return final ? cr + 1 : -1;
  }
  return lf < 0 ? -1 : lf + 1;
}

/**
 * Finds row ends in CSV bytes by the tokenizer's rules: a quote opens a quoted cell only at the start of
 * a cell (after a delimiter or a line end, or at the row's start); inside, a doubled quote is a quote
 * and the next single one closes it; any other quote is an ordinary character. Jumps from quote to
 * quote with the native indexOf, so it costs little beside reading the rows.
 */
class RowScanner {
  constructor(
    private readonly quote: number,
    private readonly delimiter: number,
  ) {}

  /** True when the quote at `q` opens a quoted cell (`rowStart` is the start of the row it is in). */
  private opens(b: Buffer, q: number, rowStart: number): boolean {
    if (q === rowStart) return true;
    const before = b[q - 1];
    return before === this.delimiter || before === LF || before === CR;
  }

  /** Just past the quote that closes the cell opened at `q`; −1 when the bytes end first. */
  private close(b: Buffer, q: number, final: boolean): number {
    let from = q + 1;
    for (;;) {
      const close = b.indexOf(this.quote, from);
      if (close < 0) return -1;
      if (close + 1 >= b.length) return final ? close + 1 : -1;
      if (b[close + 1] !== this.quote) return close + 1;
      from = close + 2;
    }
  }

  /** The end of the last line break in b[from, to) (past a CRLF), −1 when there is none; a CR at the very end of b waits unless `final`. */
  private lastBreak(b: Buffer, from: number, to: number, final: boolean): number {
    if (to <= from) return -1;
    const lf = b.lastIndexOf(LF, to - 1);
    const cr = b.lastIndexOf(CR, to - 1);
    let end = -1;
    if (lf >= from) end = lf + 1;
    if (cr >= from && cr + 1 > end) {
      if (cr + 1 < b.length) end = b[cr + 1] === LF ? cr + 2 : cr + 1;
      else if (final) end = cr + 1;
      else {
        // A CR that may be half a CRLF: the row ends no later than the break before it.
        const before = this.lastBreak(b, from, cr, final);
        end = Math.max(end, before);
      }
    }
    return end;
  }

  /** Just past the first line break at or after `from` when it comes before `until`; −1 otherwise (or for a CR at the very end of b, unless `final`). */
  private firstBreak(b: Buffer, from: number, until: number, final: boolean): number {
    const end = lineEnd(b, from, final);
    if (end < 0) return -1;
    // The break itself (LF, CR or the CR of a CRLF) must lie before `until`.
    const at = b[end - 1] === LF && end >= 2 && b[end - 2] === CR ? end - 2 : end - 1;
    return at < until ? end : -1;
  }

  /**
   * Just past the last row end in b[from, …) (`from` is a row start), or −1 when no row ends there;
   * with `first`, just past the first row end instead. `openAt` is the start of the row whose quoted
   * cell the bytes end inside (−1 when they do not).
   */
  scan(b: Buffer, from: number, final: boolean, first: boolean): { end: number; openAt: number } {
    let rowStart = from;
    let at = from;
    let last = -1;
    for (;;) {
      const q = b.indexOf(this.quote, at);
      const until = q < 0 ? b.length : q;
      // No quoted cell in [at, until): every line break there ends a row.
      if (first) {
        const end = this.firstBreak(b, at, until, final);
        if (end >= 0) return { end, openAt: -1 };
      }
      const end = this.lastBreak(b, at, until, final);
      if (end >= 0) last = rowStart = end;
      if (q < 0) return { end: first ? -1 : last, openAt: -1 };
      if (!this.opens(b, q, rowStart)) {
        at = q + 1;
        continue;
      }
      const closed = this.close(b, q, final);
      if (closed < 0) return { end: first ? -1 : last, openAt: rowStart };
      at = closed;
    }
  }
}

/**
 * Opens a CSV file to be read in shards of about `shardBytes`: reads its header (and byte-order mark)
 * here; each shard then holds whole rows. Undefined when the file must be read in one pass: UTF-16 (its
 * line ends are two bytes), or an encoding whose bytes are not ASCII below 0x80.
 */
export async function openCsvShards(file: string, options: CsvOptions, shardBytes: number): Promise<CsvShardSource | undefined> {
  const maxRowBytes = checkCsvOptions(options);
  if (!(Number.isInteger(shardBytes) && shardBytes >= 1024)) throw new TributaryError('INVALID_PARAMS', { param: 'shardBytes', message: `shardBytes must be a whole number ≥ 1024; got ${String(shardBytes)}.` });
  if (unshardable(options)) return undefined;
  await checkFile(file);
  const handle = await fs.promises.open(file, 'r');
  let position = 0;
  let done = false;
  /** Bytes read and not yet handed on, from a row start. */
  let pending = Buffer.alloc(0);
  const readMore = async (want: number): Promise<void> => {
    const chunk = Buffer.allocUnsafe(want);
    const { bytesRead } = await handle.read(chunk, 0, want, position);
    position += bytesRead;
    if (bytesRead < want) done = true;
    pending = pending.length > 0 ? Buffer.concat([pending, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
  };
  try {
    await readMore(Math.max(shardBytes, 64 * 1024));
    let encoding = (options.encoding ?? 'auto').toLowerCase();
    const detected = encoding === 'auto';
    if (detected) encoding = sniffEncoding(pending);
    if (encoding === 'utf8') encoding = 'utf-8';
    if (encoding !== 'utf-8' && !SINGLE_BYTE.test(encoding)) {
      await handle.close();
      return undefined;
    }
    if (encoding === 'utf-8' && pending[0] === 0xef && pending[1] === 0xbb && pending[2] === 0xbf) pending = pending.subarray(3);
    const scanner = new RowScanner((options.quote ?? '"').charCodeAt(0), (options.delimiter ?? ',').charCodeAt(0));
    let line = 1;
    let columns: string[];
    if (options.header === false) columns = csvColumns(file, options.columns!, options);
    else {
      // The header row, read by the same reader as every other row (blank lines before it are no rows).
      const headerReader = new CsvRecordReader(file, { ...options, encoding });
      let found: readonly string[] | undefined;
      while (!found) {
        let end = scanner.scan(pending, 0, done, true).end;
        while (end < 0 && !done && pending.length <= maxRowBytes) {
          await readMore(shardBytes);
          end = scanner.scan(pending, 0, done, true).end;
        }
        if (end < 0) end = pending.length;
        const decoder = createDecoder(encoding, file, { keepBom: true, detected });
        headerReader.write(decoder.write(pending.subarray(0, end)) + decoder.end());
        // Whole rows only were written: ending here reads a row that ends in a lone CR at once.
        headerReader.end();
        line += countLines(pending, 0, end);
        pending = pending.subarray(end);
        found = headerReader.columns;
        if (!found && done && pending.length === 0) {
          // Nothing but blank lines: no columns, no records, as one pass reads it.
          await handle.close();
          return { reader: { name: file, columns: [], encoding, detected, options: readerOptions(options) }, async *shards() {} };
        }
      }
      columns = [...found];
    }
    const reader: CsvShardReader = { name: file, columns, encoding, detected, options: readerOptions(options) };
    let index = 0;
    /** The first `end` bytes of what is read, as the next shard. */
    const cutAt = (end: number): CsvShard => {
      const shard = { index: index++, bytes: pending.subarray(0, end), firstLine: line };
      pending = pending.subarray(end);
      line += countLines(shard.bytes);
      return shard;
    };
    return {
      reader,
      async *shards() {
        try {
          for (;;) {
            if (pending.length < shardBytes && !done) await readMore(shardBytes);
            if (pending.length === 0 && done) return;
            // The last row end within about shardBytes; a longer first row takes what it needs.
            const cut = pending.length > shardBytes ? scanner.scan(pending.subarray(0, shardBytes), 0, false, false).end : -1;
            if (cut > 0) {
              yield cutAt(cut);
              continue;
            }
            const { end, openAt } = scanner.scan(pending, 0, done, false);
            if (done && (end < 0 || end === pending.length || openAt >= 0)) {
              // The rest of the file: its last rows, and a quoted cell never closed, which the reader reports as the whole pass would.
              yield cutAt(pending.length);
              return;
            }
            if (end > 0) {
              yield cutAt(end);
              continue;
            }
            // No row ends in what is read: a long row, or an unclosed quote. Read on, up to the row limit.
            if (pending.length <= maxRowBytes) {
              await readMore(Math.max(shardBytes, pending.length));
              continue;
            }
            // Longer than the limit: the row is left out and reading goes on at the next line, as csvRows does.
            yield { problem: { code: 'INVALID_DATA', source: file, line, message: `${file}, line ${line}: the row is longer than ${maxRowBytes} bytes (an unclosed quote, or the wrong delimiter or line ends?). The row is left out and reading goes on at the next line.`, raw: decodeLoosely(pending.subarray(0, 200), encoding) } };
            let next = lineEnd(pending, 0, done);
            while (next < 0 && !done) {
              pending = pending.subarray(pending.length - 1);
              await readMore(shardBytes);
              next = lineEnd(pending, 0, done);
            }
            pending = next < 0 ? Buffer.alloc(0) : pending.subarray(next);
            line++;
          }
        } finally {
          await handle.close();
        }
      },
    };
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
}

function readerOptions(options: CsvOptions): CsvShardReader['options'] {
  const out: { -readonly [K in keyof CsvShardReader['options']]: CsvShardReader['options'][K] } = {};
  for (const key of ['delimiter', 'quote', 'numbers', 'lineField', 'maxRowBytes'] as const) if (options[key] !== undefined) (out as Record<string, unknown>)[key] = options[key];
  return out;
}

/** The records and problems of one shard, exactly as reading the whole file gives them for those rows. */
export function readCsvShard(reader: CsvShardReader, shard: Pick<CsvShard, 'bytes' | 'firstLine'>): { records: DataRecord[]; problems: SourceProblem[] } {
  const records = new CsvRecordReader(reader.name, { ...reader.options, encoding: reader.encoding }, { names: reader.columns, firstLine: shard.firstLine });
  // The file's byte-order mark was dropped where it was read; a U+FEFF here is text, as one pass reads it.
  const decoder = createDecoder(reader.encoding, reader.name, { keepBom: true, detected: reader.detected });
  // Decoded a piece at a time: text below V8's large-object size lives and dies in the young generation,
  // where a shard's text is freed at once; one string of the whole shard would wait for a full collection.
  for (let at = 0; at < shard.bytes.length; at += TEXT_PIECE) records.write(decoder.write(shard.bytes.subarray(at, at + TEXT_PIECE)));
  records.write(decoder.end());
  records.end();
  return records.take();
}
