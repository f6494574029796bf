import {
  type Batch,
  type DataRecord,
  STAGE_PARAMS,
  type Stage,
  type StageContext,
  type Static,
  TributaryError,
  Type,
  defineStage,
  inject,
  injectable,
  stageSpec,
} from '@tributary/core';
import { htmlToText } from './html-to-text.js';

export const EmailTextParams = Type.Object(
  {
    /** The field holding the raw message (bytes or a string). */
    input: Type.String({ default: 'raw' }),
    /** The field that receives the subject and body as plain text. */
    output: Type.String({ default: 'text' }),
    /** Put the subject on the first line of the text. */
    subject: Type.Boolean({ default: true }),
    /** Also write the subject alone to this field, when set. */
    subjectField: Type.Optional(Type.String()),
    /** Messages larger than this many bytes are rejected rather than parsed (a mail bomb guard). */
    maxBytes: Type.Integer({ minimum: 1, default: 25 * 1024 * 1024 }),
  },
  { additionalProperties: false },
);
export type EmailTextParams = Static<typeof EmailTextParams>;

type SimpleParser = typeof import('mailparser').simpleParser;
let parser: Promise<SimpleParser> | undefined;
/** mailparser is loaded on first use, so importing the plugin stays cheap. */
const loadParser = () => (parser ??= import('mailparser').then((m) => m.simpleParser));

const MBOX_FROM = Buffer.from('From ');
/** A text/plain part that is really an HTML document (common in spam): it starts as one, or closes one. */
const LOOKS_LIKE_HTML = /^\s*<(?:!doctype\b|html\b|head\b|body\b|div\b|table\b|p\b)|<\/(?:html|body)\s*>/i;

/**
 * The top-level header fields the text depends on. The rest (Received chains, addresses, dates, list and
 * vendor headers: often most of a message's header) are dropped before parsing, which halves the parse:
 * mailparser would parse every address and date only for this stage to throw them away.
 */
const TEXT_HEADER = /^(?:subject|content-[\w-]+|mime-version)[ \t]*:/i;

/** Where the first empty line (the end of the header) starts, or -1 when there is none. */
function headerEnd(bytes: Buffer): number {
  const lf = bytes.indexOf('\n\n');
  const crlf = bytes.indexOf('\n\r\n');
  const at = lf < 0 ? crlf : crlf < 0 ? lf : Math.min(lf, crlf);
  return at < 0 ? -1 : at + 1;
}

/** The message with only the header fields of TEXT_HEADER (and their folded lines); the body untouched. */
function withTextHeaders(bytes: Buffer): Buffer {
  const end = headerEnd(bytes);
  if (end < 0) return bytes;
  // latin1 maps bytes to characters one to one, so 8-bit header bytes come back unchanged.
  const kept: string[] = [];
  let keep = false;
  for (const line of bytes.toString('latin1', 0, end - 1).split('\n')) {
    const folded = line.startsWith(' ') || line.startsWith('\t');
    if (!folded) keep = TEXT_HEADER.test(line);
    if (keep) kept.push(line);
  }
  const body = bytes.subarray(end);
  return kept.length === 0 ? body : Buffer.concat([Buffer.from(`${kept.join('\n')}\n`, 'latin1'), body]);
}

/** Bytes of the raw message, without the mbox "From " separator line some corpora keep in front. */
function messageBytes(raw: unknown): Buffer | undefined {
  let bytes: Buffer;
  if (Buffer.isBuffer(raw)) bytes = raw;
  else if (raw instanceof Uint8Array) bytes = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  else if (typeof raw === 'string') bytes = Buffer.from(raw, 'utf8');
  else return undefined;
  if (bytes.subarray(0, 5).equals(MBOX_FROM)) {
    const eol = bytes.indexOf(0x0a);
    return eol < 0 ? Buffer.alloc(0) : bytes.subarray(eol + 1);
  }
  return bytes;
}

/**
 * An RFC 822 message → its subject and body as plain text. Decodes quoted-printable and base64,
 * walks multipart messages, converts charsets (through iconv-lite, so windows-1252's €, ’ and – survive),
 * prefers the text/plain part and falls back to the HTML part with tags and entities removed.
 * Binary attachments are left out. A record without message bytes is rejected as INVALID_RECORD.
 */
@injectable()
export class EmailTextStage implements Stage {
  readonly kind = 'natural:email-text';

  constructor(@inject(STAGE_PARAMS) private readonly params: EmailTextParams) {
    if (params.subjectField === params.output) {
      throw new TributaryError('INVALID_PARAMS', {
        stage: this.kind,
        param: 'subjectField',
        message: `subjectField and output are both '${params.output}', so the subject would replace the text. Name another field for the subject, or leave subjectField out.`,
      });
    }
  }

  async transform(batch: Batch, ctx: StageContext): Promise<Batch> {
    const simpleParser = await loadParser();
    const results = await Promise.all(batch.map((record) => this.one(record, ctx, simpleParser)));
    return results.filter((r): r is DataRecord => r !== undefined);
  }

  private async one(record: DataRecord, ctx: StageContext, simpleParser: SimpleParser): Promise<DataRecord | undefined> {
    const { input, output } = this.params;
    const bytes = messageBytes(record[input]);
    if (bytes === undefined) {
      ctx.reject(record, new TributaryError('INVALID_RECORD', { stage: this.kind, message: `Field '${input}' holds no message (expected bytes or a string, got ${typeof record[input]}).` }));
      return undefined;
    }
    if (bytes.length > this.params.maxBytes) {
      ctx.reject(record, new TributaryError('INVALID_RECORD', { stage: this.kind, message: `The message is ${bytes.length} bytes, over maxBytes (${this.params.maxBytes}). Raise maxBytes to accept it.` }));
      return undefined;
    }
    let mail;
    try {
      mail = await simpleParser(withTextHeaders(bytes), { skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true, skipImageLinks: true });
    } catch (error) {
      ctx.reject(record, new TributaryError('INVALID_RECORD', { stage: this.kind, message: `The message could not be parsed: ${error instanceof Error ? error.message : String(error)}`, cause: error }));
      return undefined;
    }
    const subject = (mail.subject ?? '').trim();
    let body = typeof mail.text === 'string' ? mail.text : '';
    if (body.trim() === '' && typeof mail.html === 'string') body = htmlToText(mail.html);
    else if (LOOKS_LIKE_HTML.test(body)) body = htmlToText(body);
    if (body.includes('\ufffd')) ctx.warn('UNDECODABLE_TEXT', 'Some bytes of the body could not be decoded in its declared (or assumed UTF-8) charset.', record);
    if (subject && body.trim() === '') ctx.warn('EMPTY_BODY', 'The message has a subject but no text body (it may be empty, or its MIME structure broken).', record);
    const text = (this.params.subject && subject ? `${subject}\n${body}` : body).toWellFormed().trim();
    if (text === '') ctx.warn('EMPTY_TEXT', 'The message has no subject and no text body.', record);
    const out: DataRecord = { ...record, [output]: text };
    if (this.params.subjectField) out[this.params.subjectField] = subject;
    return out;
  }
}

export const emailTextStage = defineStage({
  kind: 'natural:email-text',
  description: 'RFC 822 message → subject and body as plain text (MIME, charsets, HTML stripped).',
  params: EmailTextParams,
  fields: (p) => ({ reads: [p.input], writes: p.subjectField ? [p.output, p.subjectField] : [p.output] }),
  implementation: EmailTextStage,
  worker: true,
});

/** `emailText({ input: 'raw', output: 'text' })` */
export const emailText = stageSpec<Partial<EmailTextParams>>('natural:email-text');
