import iconv from 'iconv-lite';
import { TributaryError } from '../errors/tributary-error.js';

/**
 * `auto` reads a byte-order mark (UTF-8, UTF-16LE, UTF-16BE), recognises UTF-16 without one by its
 * zero bytes, and otherwise reads strict UTF-8: bytes that are not UTF-8 stop the read with an error
 * that says which encoding to name, rather than becoming U+FFFD. Any other name is an encoding of
 * iconv-lite (`windows-1252`, `latin1`, `shift_jis`, `gbk`, …); its tables, not Node's TextDecoder,
 * decode windows-1252, whose 0x80–0x9F (€, ’, –) Node 20.18.3+ gets wrong.
 */
export type TextEncoding = 'auto' | 'utf-8' | 'utf-16le' | 'utf-16be' | (string & {});

/** Bytes → text, chunk by chunk; a character split across chunks comes out whole. */
export interface ChunkDecoder {
  /** The encoding in use, once known (`auto` decides at the first chunk). */
  readonly encoding: string;
  write(bytes: Uint8Array): string;
  end(): string;
}

const NATIVE = new Set(['utf-8', 'utf8', 'utf-16le', 'utf16le', 'utf-16be', 'utf16be']);

/** Checks an encoding name up front, so a misspelt one fails before anything is read. */
export function checkEncoding(encoding: string, param = 'encoding'): void {
  if (encoding === 'auto' || NATIVE.has(encoding.toLowerCase()) || iconv.encodingExists(encoding)) return;
  throw new TributaryError('INVALID_PARAMS', { param, message: `Unknown text encoding '${encoding}'. Use 'auto' (UTF-8 or UTF-16, found from the bytes), or name it: 'windows-1252', 'latin1', 'utf-16le', 'shift_jis', …` });
}

/** The encoding of a file's first bytes: its byte-order mark, UTF-16 by its zero bytes, else UTF-8. */
export function sniffEncoding(head: Uint8Array): 'utf-8' | 'utf-16le' | 'utf-16be' {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return 'utf-8';
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  // Text in UTF-16 without a mark: ASCII characters leave every other byte zero.
  const n = Math.min(head.length, 1024) & ~1;
  if (n >= 4) {
    let evenZero = 0;
    let oddZero = 0;
    for (let i = 0; i < n; i += 2) {
      if (head[i] === 0) evenZero++;
      if (head[i + 1] === 0) oddZero++;
    }
    const pairs = n / 2;
    if (oddZero > pairs * 0.4 && evenZero < pairs * 0.05) return 'utf-16le';
    if (evenZero > pairs * 0.4 && oddZero < pairs * 0.05) return 'utf-16be';
  }
  return 'utf-8';
}

function nativeDecoder(encoding: string, keepBom = false): ChunkDecoder {
  // fatal: bytes that are not in the encoding throw instead of becoming U+FFFD; the BOM is dropped unless kept.
  const decoder = new TextDecoder(encoding, { fatal: true, ignoreBOM: keepBom });
  return { encoding, write: (bytes) => decoder.decode(bytes, { stream: true }), end: () => decoder.decode() };
}

export interface DecoderOptions {
  /** Keep a U+FEFF at the start as text (a part of a file whose mark was read already). */
  readonly keepBom?: boolean;
  /** The encoding was found from the file's first bytes (`auto`), for the error message. */
  readonly detected?: boolean;
}

/** A decoder for `encoding`; `auto` chooses at the first chunk. `name` is for the error message. */
export function createDecoder(encoding: TextEncoding, name: string, options: DecoderOptions = {}): ChunkDecoder {
  checkEncoding(encoding);
  let inner: ChunkDecoder | undefined;
  const keepBom = options.keepBom === true;
  const open = (first: Uint8Array): ChunkDecoder => {
    if (encoding === 'auto') return nativeDecoder(sniffEncoding(first), keepBom);
    if (NATIVE.has(encoding.toLowerCase())) return nativeDecoder(encoding.toLowerCase().replace(/^utf(?=\d)/, 'utf-'), keepBom);
    const decoder = iconv.getDecoder(encoding, { stripBOM: !keepBom });
    return { encoding, write: (bytes) => decoder.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)), end: () => decoder.end() ?? '' };
  };
  const fail = (error: unknown): never => {
    const used = inner?.encoding ?? encoding;
    throw new TributaryError('INVALID_DATA', {
      message: `${name} is not valid ${used}${encoding === 'auto' || options.detected ? ' (found from its first bytes)' : ''}. If it was saved in a legacy encoding, name it: encoding 'windows-1252' for most Western European Windows exports, 'latin1', 'shift_jis', …`,
      details: { source: name, encoding: used },
      cause: error,
    });
  };
  // `auto` decides on the first 1 KiB however the stream cuts it (a first chunk may be a byte or two).
  let head: Buffer[] = [];
  let headBytes = 0;
  const decide = (): string => {
    const first = Buffer.concat(head, headBytes);
    head = [];
    inner = open(first);
    return inner.write(first);
  };
  return {
    get encoding() {
      return inner?.encoding ?? encoding;
    },
    write(bytes) {
      try {
        if (inner) return inner.write(bytes);
        head.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
        headBytes += bytes.byteLength;
        return headBytes >= 1024 ? decide() : '';
      } catch (error) {
        return fail(error);
      }
    },
    end() {
      try {
        const rest = inner ? '' : headBytes > 0 ? decide() : '';
        return rest + (inner?.end() ?? '');
      } catch (error) {
        return fail(error);
      }
    },
  };
}

/** Bytes as text for a message or a dead-letter line: never throws (a character cut at the end becomes U+FFFD). */
export function decodeLoosely(bytes: Uint8Array, encoding: string): string {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return NATIVE.has(encoding.toLowerCase()) ? new TextDecoder(encoding.toLowerCase().replace(/^utf(?=\d)/, 'utf-')).decode(buffer) : iconv.decode(buffer, encoding);
}
