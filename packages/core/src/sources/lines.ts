import type { Readable } from 'node:stream';

/** The longest line read whole by default (64 MiB): longer ones are reported, not held in memory. */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

/** One line of a stream (1-based number, no line end), or the number of a line that was too long to keep. */
export type Line = { readonly line: number; readonly text: string } | { readonly line: number; readonly tooLong: number } | { readonly line: number; readonly undecodable: true };

/**
 * The lines of a byte stream, split on LF (a CR before it dropped), decoded as strict UTF-8 (a line that is
 * not UTF-8 is yielded as `{ undecodable: true }`), a BOM at the
 * start removed. A line longer than `maxLineBytes` is skipped up to its end and yielded as
 * `{ tooLong: bytes }` instead of being built into a string that may not fit in memory.
 */
export async function* readLines(stream: Readable | AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>, maxLineBytes = MAX_LINE_BYTES): AsyncGenerator<Line> {
  // fatal: a line whose bytes are not UTF-8 is reported, not turned into U+FFFD.
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let parts: Buffer[] = [];
  let size = 0;
  let skipped = 0;
  let line = 0;
  const finish = (): Line => {
    line++;
    if (skipped > 0) {
      const result = { line, tooLong: skipped + size };
      skipped = 0;
      return result;
    }
    let bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts, size);
    if (bytes.length > 0 && bytes[bytes.length - 1] === 0x0d) bytes = bytes.subarray(0, bytes.length - 1);
    let text: string;
    try {
      text = decoder.decode(bytes);
    } catch {
      return { line, undecodable: true };
    }
    if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    return { line, text };
  };
  /** Adds a piece to the current line, or, once the line is over the limit, only counts its bytes. */
  const append = (piece: Buffer, copy: boolean) => {
    if (skipped > 0) skipped += piece.length;
    else if (size + piece.length > maxLineBytes) {
      skipped = size + piece.length;
      parts = [];
      size = 0;
    } else {
      parts.push(copy ? Buffer.from(piece) : piece);
      size += piece.length;
    }
  };
  for await (const chunk of stream as AsyncIterable<Uint8Array | string>) {
    let buffer = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    for (let newline = buffer.indexOf(0x0a); newline >= 0; newline = buffer.indexOf(0x0a)) {
      append(buffer.subarray(0, newline), false);
      yield finish();
      parts = [];
      size = 0;
      buffer = buffer.subarray(newline + 1);
    }
    // Copy what stays over to the next chunk: the chunk's memory may be reused by the stream.
    if (buffer.length > 0) append(buffer, true);
  }
  if (size > 0 || skipped > 0) yield finish();
}
