import { RunReport, createRandom, createRuntime } from '@tributary/core';
import { emailText, htmlToText, natural } from '@tributary/plugin-natural';
import { describe, expect, it } from 'vitest';

const crlf = (s: string) => s.replace(/\r?\n/g, '\r\n');

async function textOf(raw: string | Buffer, params = {}) {
  const model = await createRuntime({ plugins: [natural] }).pipeline([emailText(params)]).fit([]);
  const [out] = await model.predict([{ id: 'm', raw }]);
  return out!.text as string;
}

describe('emailText', () => {
  it('decodes quoted-printable ISO-8859-1 and puts the subject first', async () => {
    const raw = crlf(`Subject: =?ISO-8859-1?Q?R=E9sum=E9?=\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\nJe bois un caf=E9 =\n=E0 Paris.\n`);
    expect(await textOf(raw)).toBe('Résumé\nJe bois un café à Paris.');
  });

  it('decodes windows-1252 bytes 0x80, 0x92 and 0x96 as €, ’ and – (case C23: Node 20’s TextDecoder gets these wrong)', async () => {
    const head = Buffer.from(crlf('Subject: price\nContent-Type: text/plain; charset=windows-1252\n\n'), 'latin1');
    const body = Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x2c, 0x33, 0x80, 0x2c, 0x69, 0x74, 0x92, 0x73, 0x20, 0x96, 0x20, 0x6f, 0x6b]);
    expect(await textOf(Buffer.concat([head, body]))).toBe('price\ncafé,3€,it’s – ok');
  });

  it('decodes base64 UTF-8 parts and walks multipart/alternative, preferring text/plain', async () => {
    const raw = crlf(`Subject: multi
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="b1"

--b1
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64

${Buffer.from('Grüße aus Köln 👋').toString('base64')}
--b1
Content-Type: text/html; charset=utf-8

<p>HTML version</p>
--b1--
`);
    expect(await textOf(raw)).toBe('multi\nGrüße aus Köln 👋');
  });

  it('strips tags, scripts and styles from HTML-only mail and decodes entities', async () => {
    const raw = crlf(`Subject: offer\nContent-Type: text/html; charset=utf-8\n\n<html><head><title>Deal</title><style>p{color:red}</style></head><body><script>alert(1)</script><p>Tom &amp; Jerry&nbsp;&eacute;t&eacute; &#8364;5 &#x263A;</p><div>next<br>line</div></body></html>`);
    expect(await textOf(raw)).toBe('offer\nDeal\nTom & Jerry été €5 ☺\nnext\nline');
  });

  it('leaves binary attachments out and keeps the text part', async () => {
    const random = createRandom(1);
    const binary = Buffer.from(Array.from({ length: 600 }, () => random.int(256))).toString('base64').replace(/(.{76})/g, '$1\n');
    const raw = crlf(`Subject: report\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="XX"\n\n--XX\nContent-Type: text/plain\n\nSee attached.\n--XX\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\nContent-Disposition: attachment; filename="a.bin"\n\n${binary}\n--XX--\n`);
    expect(await textOf(raw)).toBe('report\nSee attached.');
  });

  it('parses only the header fields the text depends on, with the text mailparser gives for the whole message', async () => {
    const received = Array.from({ length: 12 }, (_, i) => `Received: from relay${i}.example.net (relay${i}.example.net [10.0.0.${i}])\n\tby mx.example.org (Postfix) with ESMTP id ${i}\n\tfor <someone@example.org>; Thu, 22 Aug 2002 13:17:22 +0100`).join('\n');
    const to = `To: ${Array.from({ length: 40 }, (_, i) => `"User, No. ${i}" <user${i}@example.com>`).join(',\n  ')}`;
    const messages: Array<[string | Buffer, string]> = [
      // A folded, encoded subject and a boundary on the Content-Type's second line, below a long header.
      [
        `${received}\nFrom: "Öz" <oz@example.com>\n${to}\nSubject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\n =?UTF-8?Q?_aus_K=C3=B6ln?=\nMIME-Version: 1.0\nContent-Type: multipart/alternative;\n\tboundary="inner"\nX-Mailer: test\n\n--inner\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\ncaf=E9 cr=E8me\n--inner--\n`,
        'Grüße aus Köln\ncafé crème',
      ],
      // Lower-case names, a space before the colon, CRLF line ends, format=flowed.
      [crlf(`${received}\nsubject : flowed\ncontent-type: text/plain; format=flowed\ndate: Thu, 22 Aug 2002 13:17:22 +0100\n\nOne line \nwrapped.\n`), 'flowed\nOne line wrapped.'],
      // 8-bit bytes in a header that is dropped, and no header the text needs at all.
      [Buffer.concat([Buffer.from('From: J\xf6rg <j@example.com>\nDate: today\n\n', 'latin1'), Buffer.from('just a body\n')]), 'just a body'],
      // A body-only message: its first paragraph is read as a header, as a mail reader would.
      ['no header here\n\nsecond paragraph\n', 'second paragraph'],
    ];
    const { simpleParser } = await import('mailparser');
    for (const [raw, expected] of messages) {
      const whole = await simpleParser(typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw);
      const reference = `${(whole.subject ?? '').trim()}\n${typeof whole.text === 'string' ? whole.text : ''}`.trim();
      expect(reference).toBe(expected);
      expect(await textOf(raw)).toBe(expected);
    }
  });

  it('drops the mbox "From " separator line some corpora keep', async () => {
    expect(await textOf('From someone@example.com  Thu Aug 22 13:17:22 2002\nSubject: hi\n\nbody')).toBe('hi\nbody');
  });

  it('warns when the body is lost to a broken MIME structure or bytes it cannot decode', async () => {
    const runtime = createRuntime({ plugins: [natural] });
    const warnings: string[] = [];
    runtime.events.on('warning', (e) => warnings.push(e.code));
    const model = await runtime.pipeline([emailText()]).fit([]);
    const broken = crlf('Subject: wb\nContent-Type: multipart/mixed; boundary="right"\n\n--wrong\nContent-Type: text/plain\n\nbody text\n--wrong--\n');
    const undecodable = Buffer.concat([Buffer.from(crlf('Subject: s\nContent-Type: text/plain\n\n')), Buffer.from([0x63, 0x61, 0x66, 0xe9])]);
    const out = await model.predict([{ raw: broken }, { raw: undecodable }]);
    expect(out).toHaveLength(2);
    expect(warnings.sort()).toEqual(['EMPTY_BODY', 'UNDECODABLE_TEXT']);
  });

  it('strips only what looks like an HTML document, not text that mentions tags', async () => {
    expect(await textOf('Subject: t\n\nif a<b and c>d then <html> is a tag name')).toBe('t\nif a<b and c>d then <html> is a tag name');
  });

  it('handles an unknown charset without failing', async () => {
    const text = await textOf(crlf('Subject: odd\nContent-Type: text/plain; charset=x-no-such-charset\n\nplain ascii words'));
    expect(text).toContain('plain ascii words');
  });

  it('keeps a message with an empty body (subject only) and warns when there is no text at all', async () => {
    expect(await textOf('Subject: only a subject\n\n')).toBe('only a subject');
    const runtime = createRuntime({ plugins: [natural] });
    const warnings: string[] = [];
    runtime.events.on('warning', (e) => warnings.push(e.code));
    const model = await runtime.pipeline([emailText()]).fit([]);
    const out = await model.predict([{ id: 'empty', raw: '\n\n' }]);
    expect(out).toHaveLength(1);
    expect(warnings).toEqual(['EMPTY_TEXT']);
  });

  it('refuses a subjectField that is the output field (the subject would replace the text), and writes both otherwise', async () => {
    const runtime = createRuntime({ plugins: [natural] });
    expect(() => runtime.resolve(emailText({ subjectField: 'text' }))).toThrow(expect.objectContaining({ code: 'INVALID_PARAMS', stage: 'natural:email-text', param: 'subjectField' }));
    const model = await runtime.pipeline([emailText({ subjectField: 'subject' })]).fit([]);
    const [out] = await model.predict([{ raw: 'Subject: Hello\n\nSee you soon.\n' }]);
    expect([out!.subject, out!.text]).toEqual(['Hello', 'Hello\nSee you soon.']);
  });

  it('never stops the job on garbage: every record is output or rejected with a code', async () => {
    const random = createRandom(7);
    const records = [
      ...Array.from({ length: 20 }, (_, i) => ({ id: `bin${i}`, raw: Buffer.from(Array.from({ length: 2000 }, () => random.int(256))) })),
      { id: 'number', raw: 42 },
      { id: 'missing' },
      { id: 'huge', raw: Buffer.alloc(2048, 0x41) },
    ];
    const model = await createRuntime({ plugins: [natural] }).pipeline([emailText({ maxBytes: 1024 * 1024 })]).fit([]);
    const small = await createRuntime({ plugins: [natural] }).pipeline([emailText({ maxBytes: 1024 })]).fit([]);
    const report = new RunReport();
    const out = await model.predict(records.slice(0, 22), { errorPolicy: 'skip', report });
    expect(report.input).toBe(22);
    expect(report.output + report.skipped).toBe(22);
    expect(report.skipped).toBe(2);
    expect(report.toJSON().rejections).toEqual({ 'natural:email-text': { INVALID_RECORD: 2 } });
    for (const r of out) expect((r.text as string).isWellFormed()).toBe(true);
    const huge = new RunReport();
    await small.predict([records[22]!], { errorPolicy: 'skip', report: huge });
    expect(huge.skipped).toBe(1);
  });
});

describe('htmlToText', () => {
  it('keeps inline text together and puts blocks on their own lines', () => {
    expect(htmlToText('<p>Hello <b>big</b>world</p><ul><li>one</li><li>two</li></ul><!-- hidden -->')).toBe('Hello bigworld\none\ntwo');
  });

  it('gives the same text past 20,000 tags, where it stops using the parser (whose open-element stack is quadratic)', () => {
    const head = '<p>Hello &amp; <b>you</b></p><script>evil()</script><!-- <p>no</p> --><div>a&nbsp;b</div>';
    // Worked out by hand: the paragraph, the div on its own line (nbsp as a space), then the repeated x's.
    expect(htmlToText(`${head}${'<i>x</i>'.repeat(100)}`)).toBe(`Hello & you\na b\n${'x'.repeat(100)}`);
    expect(htmlToText(`${head}${'<i>x</i>'.repeat(12_000)}`)).toBe(`Hello & you\na b\n${'x'.repeat(12_000)}`);
    // 200,000 unclosed nested <div>s: the text, without the parser's O(n²) (it took 3.6 s).
    expect(htmlToText(`${'<div>'.repeat(200_000)}x &amp; y`)).toBe('x & y');
    // An unclosed <script> hides the rest; an unterminated tag ends the text.
    expect(htmlToText(`${'<s>'.repeat(25_000)}seen<script>hidden`)).toBe('seen');
    expect(htmlToText(`${'<s>'.repeat(25_000)}seen<a href="`)).toBe('seen');
  });
});
