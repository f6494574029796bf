/**
 * A streaming CSV tokenizer (RFC 4180, as spreadsheets and databases write it), text in, rows of cells out.
 *
 * Written here rather than taken from a library because none measured both right and fast on messy
 * files (200 MB, 13 mixed columns, this machine): csv-parse reads 10 MB/s and 0.9 MB/s with a cast
 * function; papaparse 27 MB/s, but it cannot read files whose rows mix CRLF and LF; uDSV 68 MB/s,
 * but it silently merges a short row into the next and drops what follows an unclosed quote. This
 * one reads 80 MB/s, and:
 * - a row may end in CRLF, LF or CR, row by row (files edited on two systems mix them);
 * - quoted cells keep delimiters, line breaks (counted for line numbers) and doubled quotes;
 * - text after a closing quote is kept (`"a"b` is `ab`, as Python's csv reads it), and a quote
 *   inside an unquoted cell is an ordinary character;
 * - a quote that is never closed, or a row longer than `maxRowChars`, is reported with the line it
 *   starts on, and reading goes on at the next line, so one broken row costs one row.
 */

/** One row: its cells, which of them were quoted (undefined when none was), and the line it starts on. */
export interface CsvRow {
  readonly cells: string[];
  readonly quoted: boolean[] | undefined;
  readonly line: number;
}

/** A row that could not be read: the line it starts on and why. */
export interface CsvRowProblem {
  readonly line: number;
  readonly message: string;
  /** The start of the row's text, for a dead-letter file. */
  readonly raw: string;
}

export interface CsvTokenizerOptions {
  /** One character. */
  readonly delimiter: string;
  /** One character. */
  readonly quote: string;
  /** A row longer than this (in UTF-16 code units) is reported rather than held; bounds memory on an unclosed quote. */
  readonly maxRowChars: number;
  /** The line the text starts on (default 1): a part of a file read on its own still names the file's lines. */
  readonly firstLine?: number;
}

const LF = 10;
const CR = 13;
const RAW_KEPT = 200;

/** Line breaks in `text` between `from` and `to`, each CRLF counted once. */
function lineBreaks(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === LF) n++;
    else if (c === CR && text.charCodeAt(i + 1) !== LF) n++;
  }
  return n;
}

export class CsvTokenizer {
  private rest = '';
  /** The line the next row starts on. */
  private line = 1;
  /** Set while the rest of an over-long line is being dropped from the chunks that follow. */
  private skipping = false;
  /** Set when a dropped line ended in a CR that closed the text: its LF may start the next. */
  private afterCR = false;
  private readonly delimiter: number;
  private readonly quote: number;
  private readonly quoteChar: string;

  constructor(
    private readonly options: CsvTokenizerOptions,
    private readonly onRow: (row: CsvRow) => void,
    private readonly onProblem: (problem: CsvRowProblem) => void,
  ) {
    this.delimiter = options.delimiter.charCodeAt(0);
    this.quote = options.quote.charCodeAt(0);
    this.quoteChar = options.quote;
    this.line = options.firstLine ?? 1;
  }

  /** Text that arrived while an unfinished row waits, not parsed yet. */
  private waiting: string[] = [];
  private waitingChars = 0;

  /** Reads the rows that `text` completes; an unfinished last row waits for the next call. */
  write(text: string): void {
    // A dropped line that ended in a CR at the very end of the last text: an LF starting this one is the
    // rest of its CRLF, not a line of its own.
    if (this.afterCR) {
      this.afterCR = false;
      if (text.charCodeAt(0) === LF) text = text.slice(1);
    }
    if (this.skipping) {
      const next = lineEnd(text, 0);
      if (next < 0) return;
      this.skipping = false;
      this.afterCR = next === text.length && text.charCodeAt(next - 1) === CR;
      text = text.slice(next);
    }
    // An unfinished row is parsed again from its start: only once the text that arrived since is as long
    // as what was parsed, so a row (a quoted cell) of any length costs linear time, not quadratic.
    if (this.rest.length > 0 && this.waitingChars + text.length < this.rest.length && this.rest.length + this.waitingChars + text.length <= this.options.maxRowChars) {
      this.waiting.push(text);
      this.waitingChars += text.length;
      return;
    }
    const pending = this.waiting.length > 0 ? this.waiting.join('') + text : text;
    this.waiting = [];
    this.waitingChars = 0;
    this.parse(this.rest.length > 0 ? this.rest + pending : pending, false);
    if (this.rest.length > this.options.maxRowChars) {
      // An unclosed quote, or a file with no line breaks: report the row rather than hold it.
      this.problem(this.rest, 0, `the row is longer than ${this.options.maxRowChars} characters (an unclosed quote, or the wrong delimiter or line ends?)`);
      const next = lineEnd(this.rest, 0);
      const after = next < 0 ? '' : this.rest.slice(next);
      this.afterCR = next === this.rest.length && this.rest.charCodeAt(next - 1) === CR;
      this.line++;
      this.skipping = next < 0;
      this.rest = '';
      if (after) this.write(after);
    }
  }

  /** Reads whatever is left, as the last row. */
  end(): void {
    const rest = this.rest + this.waiting.join('');
    this.rest = '';
    this.waiting = [];
    this.waitingChars = 0;
    if (rest.length > 0) this.parse(rest, true);
  }

  private parse(s: string, final: boolean): void {
    const n = s.length;
    const { delimiter, quote, quoteChar } = this;
    let start = 0;
    // Each pass reads one row from `start`; `break rows` leaves the rest for the next chunk.
    rows: while (start < n) {
      const cells: string[] = [];
      let quoted: boolean[] | undefined;
      let breaks = 0;
      let i = start;
      for (;;) {
        let c = s.charCodeAt(i);
        if (c === quote) {
          // A quoted cell: up to the quote that is not doubled; text after it belongs to the cell too.
          let from = i + 1;
          let value = '';
          let close: number;
          for (;;) {
            close = s.indexOf(quoteChar, from);
            if (close >= 0 && (close + 1 < n || final)) {
              if (s.charCodeAt(close + 1) !== quote) break;
              value += s.slice(from, close + 1);
              from = close + 2;
              continue;
            }
            if (!final) break rows;
            // Never closed: the row is its first line; reading goes on at the next one.
            this.problem(s, start, `a quoted cell is never closed`);
            this.line++;
            const next = lineEnd(s, start);
            if (next < 0) return;
            start = next;
            continue rows;
          }
          value += s.slice(from, close);
          breaks += lineBreaks(s, i + 1, close);
          let j = close + 1;
          while (j < n) {
            const d = s.charCodeAt(j);
            if (d === delimiter || d === LF || d === CR) break;
            j++;
          }
          if (j > close + 1) value += s.slice(close + 1, j);
          i = j;
          (quoted ??= [])[cells.length] = true;
          cells.push(value);
        } else {
          let j = i;
          while (j < n) {
            c = s.charCodeAt(j);
            if (c === delimiter || c === LF || c === CR) break;
            j++;
          }
          cells.push(s.slice(i, j));
          i = j;
        }
        if (i >= n) {
          if (!final) break rows;
          this.emit(cells, quoted, breaks);
          start = n;
          continue rows;
        }
        c = s.charCodeAt(i);
        if (c === delimiter) {
          i++;
          if (i < n) continue;
          if (!final) break rows;
          cells.push('');
          this.emit(cells, quoted, breaks);
          start = n;
          continue rows;
        }
        // The row ends: CRLF, LF or CR. A CR at the end of the text may be half of a CRLF.
        if (c === CR) {
          if (i + 1 >= n && !final) break rows;
          i += s.charCodeAt(i + 1) === LF ? 2 : 1;
        } else i++;
        this.emit(cells, quoted, breaks);
        start = i;
        continue rows;
      }
    }
    this.rest = start < n ? s.slice(start) : '';
  }

  private emit(cells: string[], quoted: boolean[] | undefined, breaks: number): void {
    const line = this.line;
    this.line += breaks + 1;
    // A blank line is no row.
    if (cells.length === 1 && cells[0] === '' && quoted === undefined) return;
    this.onRow({ cells, quoted, line });
  }

  private problem(s: string, start: number, why: string): void {
    this.onProblem({ line: this.line, message: `line ${this.line}: ${why}. The row is left out and reading goes on at the next line.`, raw: s.slice(start, start + RAW_KEPT) });
  }
}

/** Where the line after position `from` begins (past its CRLF, LF or CR), or −1 when the text ends first. */
function lineEnd(s: string, from: number): number {
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === LF) return i + 1;
    if (c === CR) return s.charCodeAt(i + 1) === LF ? i + 2 : i + 1;
  }
  return -1;
}
