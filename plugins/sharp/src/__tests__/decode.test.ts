import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type DataRecord, RunReport, createRuntime } from '@tributary/core';
import { type RawImage, decodeImage, isSrgbProfile, sharp } from '@tributary/plugin-sharp';
import sharpLib from 'sharp';
import { describe, expect, it } from 'vitest';
import { PHOTOS, fixture } from './helpers.js';

async function decodeOne(input: DataRecord, params: Parameters<typeof decodeImage>[0] = {}): Promise<RawImage> {
  const model = await createRuntime({ plugins: [sharp] }).pipeline([decodeImage(params)]).fit([]);
  const [out] = await model.predict([input]);
  return out!.image as RawImage;
}

async function decodeAll(records: DataRecord[], params: Parameters<typeof decodeImage>[0] = {}) {
  const model = await createRuntime({ plugins: [sharp] }).pipeline([decodeImage(params)]).fit([]);
  const report = new RunReport();
  const out = await model.transform(records, { errorPolicy: 'skip', report }).collect();
  return { out, report };
}

describe('decodeImage on the cases', () => {
  it('decodes a CMYK JPEG to 3-channel sRGB, taking the channel count from the decoded image (C07)', async () => {
    const meta = await sharpLib(fixture('c07-cmyk-white-8x8.jpg')).metadata();
    expect([meta.space, meta.channels]).toEqual(['cmyk', 4]);
    const white = await decodeOne({ path: fixture('c07-cmyk-white-8x8.jpg') });
    expect([white.width, white.height, white.channels, white.depth]).toEqual([8, 8, 3, 'uchar']);
    expect(white.data.length).toBe(8 * 8 * 3);
    expect(Array.from(white.data).every((v) => v >= 253)).toBe(true);
    const red = await decodeOne({ path: fixture('c07-cmyk-red-8x8.jpg') });
    const [r, g, b] = Array.from(red.data.subarray(0, 3));
    expect(r).toBeGreaterThan(200);
    expect(g).toBeLessThan(20);
    expect(b).toBeLessThan(40);
  });

  it('keeps 16-bit PNG samples exactly, and narrows them by round(v / 257) on request (C09)', async () => {
    const wide = await decodeOne({ path: fixture('c09-grey16-2x2.png') });
    expect(wide).toMatchObject({ width: 2, height: 2, channels: 1, depth: 'ushort' });
    expect(wide.data).toBeInstanceOf(Uint16Array);
    expect(Array.from(wide.data)).toEqual([0, 256, 65280, 65535]);
    const narrow = await decodeOne({ path: fixture('c09-grey16-2x2.png') }, { depth: 'uchar' });
    expect(narrow).toMatchObject({ channels: 1, depth: 'uchar' });
    expect(Array.from(narrow.data)).toEqual([0, 1, 254, 255]);
    const rgb = await decodeOne({ path: fixture('c09-grey16-2x2.png') }, { channels: 'rgb' });
    expect(rgb).toMatchObject({ channels: 3, depth: 'ushort' });
    expect(Array.from(rgb.data)).toEqual([0, 0, 0, 256, 256, 256, 65280, 65280, 65280, 65535, 65535, 65535]);
  });

  it('keeps a 1-channel PNG at 1 channel, 16 bytes (C11)', async () => {
    const image = await decodeOne({ path: fixture('c11-grey1ch-4x4.png') });
    expect(image).toMatchObject({ width: 4, height: 4, channels: 1, depth: 'uchar' });
    expect(Array.from(image.data)).toEqual(Array.from({ length: 16 }, (_, i) => i * 16));
    const rgb = await decodeOne({ path: fixture('c11-grey1ch-4x4.png') }, { channels: 'rgb' });
    expect(rgb.channels).toBe(3);
    expect(Array.from(rgb.data.subarray(0, 6))).toEqual([0, 0, 0, 16, 16, 16]);
  });

  it('rejects truncated, empty and non-image files with UNSUPPORTED_IMAGE and its reason, and counts them (C13)', async () => {
    const files = ['c13-truncated-half.jpg', 'c13-truncated-half.png', 'c13-empty.jpg', 'c13-not-an-image.jpg', 'c11-grey1ch-4x4.png'];
    const { out, report } = await decodeAll(files.map((f) => ({ id: f, path: fixture(f) })));
    expect(out.map((r) => r.id)).toEqual(['c11-grey1ch-4x4.png']);
    expect(report.skipped).toBe(4);
    const byId = Object.fromEntries(report.samples.map((r) => [r.recordId, r]));
    expect(byId['c13-truncated-half.jpg']!.code).toBe('UNSUPPORTED_IMAGE');
    expect(byId['c13-truncated-half.jpg']!.message).toMatch(/truncated/);
    expect(byId['c13-truncated-half.png']!.message).toMatch(/truncated/);
    expect(byId['c13-empty.jpg']!.message).toMatch(/empty/);
    expect(byId['c13-not-an-image.jpg']!.message).toMatch(/unsupported-format/);
  });

  it('rejects the same inputs given as bytes, and an empty buffer, without crashing (C13)', async () => {
    const bytes = (f: string) => fs.readFileSync(fixture(f));
    const { out, report } = await decodeAll([
      { id: 'jpg', bytes: bytes('c13-truncated-half.jpg') },
      { id: 'empty', bytes: new Uint8Array(0) },
      { id: 'text', bytes: bytes('c13-not-an-image.jpg') },
      { id: 'ok', bytes: new Uint8Array(bytes('c11-grey1ch-4x4.png')) },
    ], { input: 'bytes' });
    expect(out.map((r) => r.id)).toEqual(['ok']);
    expect(report.samples.map((r) => [r.recordId, r.code])).toEqual([
      ['jpg', 'UNSUPPORTED_IMAGE'],
      ['empty', 'UNSUPPORTED_IMAGE'],
      ['text', 'UNSUPPORTED_IMAGE'],
    ]);
  });

  it('in tolerant mode decodes truncated files as far as they go, flagged partial, missing JPEG data mid-grey (C13)', async () => {
    const model = await createRuntime({ plugins: [sharp] }).pipeline([decodeImage({ tolerant: true })]).fit([]);
    const report = new RunReport();
    const [jpg, png] = await model.transform([{ path: fixture('c13-truncated-half.jpg') }, { path: fixture('c13-truncated-half.png') }], { report }).collect();
    const j = jpg!.image as RawImage;
    const p = png!.image as RawImage;
    expect([j.width, j.height, j.partial, p.partial]).toEqual([64, 64, true, true]);
    const lastRow = (img: RawImage) => Array.from(img.data.subarray((img.height - 1) * img.width * img.channels));
    expect(lastRow(j).every((v) => Math.abs(v - 128) <= 2)).toBe(true);
    expect(lastRow(p).every((v) => v === 0)).toBe(true);
    expect(report.warnings.get('sharp:decode-image')?.get('IMAGE_PARTIAL')).toBe(2);
  });

  it('rejects a missing file, a folder and a field of the wrong type with INVALID_RECORD', async () => {
    const { out, report } = await decodeAll([
      { id: 'missing', path: '/nonexistent/cat.jpg' },
      { id: 'folder', path: os.tmpdir() },
      { id: 'number', path: 42 },
      { id: 'nothing' },
    ]);
    expect(out).toEqual([]);
    expect(report.samples.map((r) => [r.recordId, r.code])).toEqual([
      ['missing', 'INVALID_RECORD'],
      ['folder', 'INVALID_RECORD'],
      ['number', 'INVALID_RECORD'],
      ['nothing', 'INVALID_RECORD'],
    ]);
    expect(report.samples[0]!.message).toMatch(/ENOENT/);
  });
});

describe('decodeImage policies', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-decode-'));

  it('handles alpha by the chosen policy: flatten onto a background, drop, or keep', async () => {
    const file = path.join(dir, 'rgba.png');
    // Fully transparent red, half-transparent green.
    await sharpLib(Buffer.from([255, 0, 0, 0, 0, 255, 0, 128]), { raw: { width: 2, height: 1, channels: 4 } }).png().toFile(file);
    expect(Array.from((await decodeOne({ path: file })).data)).toEqual([255, 255, 255, 127, 255, 127]);
    expect(Array.from((await decodeOne({ path: file }, { background: '#000000' })).data)).toEqual([0, 0, 0, 0, 128, 0]);
    expect(Array.from((await decodeOne({ path: file }, { alpha: 'drop' })).data)).toEqual([255, 0, 0, 0, 255, 0]);
    const kept = await decodeOne({ path: file }, { alpha: 'keep' });
    expect(kept.channels).toBe(4);
    expect(Array.from(kept.data)).toEqual([255, 0, 0, 0, 0, 255, 0, 128]);
    const greyAlpha = path.join(dir, 'ga.png');
    await sharpLib(Buffer.from([200, 255, 100, 0]), { raw: { width: 2, height: 1, channels: 2 } }).toColourspace('b-w').png().toFile(greyAlpha);
    expect(await decodeOne({ path: greyAlpha }, { alpha: 'keep' })).toMatchObject({ channels: 2, data: Uint8Array.from([200, 255, 100, 0]) });
    expect(await decodeOne({ path: greyAlpha })).toMatchObject({ channels: 1, data: Uint8Array.from([200, 255]) });
  });

  it('applies the EXIF orientation: a 2×1 JPEG tagged 6 (rotate 90° clockwise) comes out 1×2, red on top', async () => {
    const file = path.join(dir, 'orient6.jpg');
    await sharpLib(Buffer.from([255, 0, 0, 0, 0, 255]), { raw: { width: 2, height: 1, channels: 3 } })
      .jpeg({ quality: 100, chromaSubsampling: '4:4:4' })
      .withMetadata({ orientation: 6 })
      .toFile(file);
    const shown = await decodeOne({ path: file });
    expect([shown.width, shown.height]).toEqual([1, 2]);
    const [r0, , b0, r1, , b1] = Array.from(shown.data);
    expect(r0! > 200 && b0! < 60).toBe(true);
    expect(b1! > 200 && r1! < 60).toBe(true);
    const stored = await decodeOne({ path: file }, { autoOrient: false });
    expect([stored.width, stored.height]).toEqual([2, 1]);
  });

  it('decodes a 1×1 image and a 16-bit RGB PNG', async () => {
    const one = path.join(dir, 'one.png');
    await sharpLib({ create: { width: 1, height: 1, channels: 3, background: { r: 10, g: 20, b: 30 } } }).png().toFile(one);
    expect(await decodeOne({ path: one })).toMatchObject({ width: 1, height: 1, channels: 3, data: Uint8Array.from([10, 20, 30]) });
    const rgb16 = path.join(dir, 'rgb16.png');
    await sharpLib(new Uint16Array([65535, 0, 1, 300, 65534, 0]), { raw: { width: 2, height: 1, channels: 3 } }).toColourspace('rgb16').png().toFile(rgb16);
    const wide = await decodeOne({ path: rgb16 });
    expect(wide.depth).toBe('ushort');
    expect(Array.from(wide.data)).toEqual([65535, 0, 1, 300, 65534, 0]);
  });

  it('refuses images over the pixel limit as too large', async () => {
    const { report } = await decodeAll([{ path: fixture('c11-grey1ch-4x4.png') }], { maxPixels: 15 });
    expect(report.samples[0]).toMatchObject({ code: 'UNSUPPORTED_IMAGE' });
    expect(report.samples[0]!.message).toMatch(/too-large/);
  });
});

describe('colour profiles', () => {
  it('converts a non-sRGB profile (Display P3) to sRGB, and reads an sRGB-tagged photo as sharp converts it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-icc-'));
    const file = path.join(dir, 'p3-red.jpg');
    await sharpLib({ create: { width: 4, height: 4, channels: 3, background: { r: 255, g: 0, b: 0 } } })
      .withIccProfile('p3')
      .jpeg({ quality: 100, chromaSubsampling: '4:4:4' })
      .toFile(file);
    const stored = await sharpLib(file, { ignoreIcc: true }).raw().toBuffer();
    expect(stored[1]).toBeGreaterThan(30); // P3 values of sRGB red: green well above 0
    const decoded = await decodeOne({ path: file });
    expect(decoded.data[0]).toBeGreaterThan(245);
    expect(decoded.data[1]).toBeLessThan(20);
    const photo = PHOTOS[8]!.path;
    expect(isSrgbProfile((await sharpLib(photo).metadata()).icc)).toBe(true);
    expect(isSrgbProfile((await sharpLib(file).metadata()).icc)).toBe(false);
    expect(isSrgbProfile(undefined)).toBe(false);
    expect(isSrgbProfile(new Uint8Array(200).fill(7))).toBe(false);
    const converted = await sharpLib(photo).raw().toBuffer();
    expect(Buffer.compare(Buffer.from((await decodeOne({ path: photo })).data), converted)).toBe(0);
  });
});

describe('16-bit and unusual samples', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-decode16-'));

  it('flattens 16-bit alpha onto a 16-bit background: white is 65535', async () => {
    const file = path.join(dir, 'rgba16.png');
    await sharpLib(new Uint16Array([65535, 0, 0, 0, 0, 65535, 0, 32768]), { raw: { width: 2, height: 1, channels: 4 } }).toColourspace('rgb16').png().toFile(file);
    const flat = await decodeOne({ path: file });
    expect(flat).toMatchObject({ channels: 3, depth: 'ushort' });
    // (c·a + 65535·(65535 − a)) / 65535: transparent → white; half-transparent green → (32767, 65535, 32767).
    expect(Array.from(flat.data)).toEqual([65535, 65535, 65535, 32767, 65535, 32767]);
  });

  it('converts a 16-bit image with a Display P3 profile to sRGB, as at 8 bits', async () => {
    const p3red = await sharpLib({ create: { width: 1, height: 1, channels: 3, background: '#ff0000' } }).withIccProfile('p3').raw().toBuffer();
    const file = path.join(dir, 'p3-16.png');
    await sharpLib(Uint16Array.from(p3red, (v) => v * 257), { raw: { width: 1, height: 1, channels: 3 } }).toColourspace('rgb16').withIccProfile('p3').png().toFile(file);
    const image = await decodeOne({ path: file });
    expect(image.depth).toBe('ushort');
    const [r, g, b] = Array.from(image.data);
    expect(r).toBeGreaterThan(64000);
    expect(g).toBeLessThan(3000);
    expect(b).toBeLessThan(3000);
  });

  it('refuses floating-point samples instead of casting them to zeros', async () => {
    // A 4×4 grey TIFF of 32-bit float samples i / 15 (written by hand: sharp saves float input as 8-bit).
    const file = fixture('float-grey-4x4.tif');
    expect((await sharpLib(file).metadata()).depth).toBe('float');
    const { out, report } = await decodeAll([{ path: file }]);
    expect(out).toEqual([]);
    expect(report.samples[0]).toMatchObject({ code: 'UNSUPPORTED_IMAGE' });
    expect(report.samples[0]!.message).toMatch(/float samples/);
    expect(report.samples[0]!.message).not.toMatch(/corrupt/); // a refusal of the format, not a damaged file
  });
});
