import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RunReport, createRuntime, isDenseTensor } from '@tributary/core';
import {
  type RawImage,
  contactSheet,
  decodeImage,
  encodeImage,
  greyscale,
  imageFiles,
  normalize,
  resize,
  sharp,
  sobel,
  threshold,
  toTensor,
  writeImage,
} from '@tributary/plugin-sharp';
import sharpLib from 'sharp';
import { describe, expect, it } from 'vitest';
import pkg from '../../package.json' with { type: 'json' };
import { PHOTOS, fixture, noise } from './helpers.js';

const runtime = () => createRuntime({ plugins: [sharp] });
const tmp = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), `tributary-${prefix}-`));

describe('the sharp plugin', () => {
  it('declares the version of its package and registers its kinds', () => {
    expect(sharp.version).toBe(pkg.version);
    expect(sharp.core).toBe(pkg.peerDependencies['@tributary/core']);
    expect(runtime().kinds()).toEqual([
      'sharp:decode-image',
      'sharp:encode-image',
      'sharp:greyscale',
      'sharp:normalize',
      'sharp:resize',
      'sharp:sobel',
      'sharp:threshold',
      'sharp:to-tensor',
      'sharp:write-image',
    ]);
  });

  it('refuses contradictory params with INVALID_PARAMS', () => {
    const build = (spec: Parameters<ReturnType<typeof runtime>['resolve']>[0]) => () => runtime().resolve(spec);
    expect(build(sobel({ direction: 'magnitude', kind: 'signed' }))).toThrow(expect.objectContaining({ code: 'INVALID_PARAMS' }));
    expect(build(resize({}))).toThrow(/width, a height/);
    expect(build(normalize({ mode: 'standard', mean: [0.5] }))).toThrow(/needs both mean and std/);
    expect(build(sobel({ border: 'wrap' as never }))).toThrow(expect.objectContaining({ code: 'INVALID_PARAMS' }));
    expect(build(writeImage({} as never))).toThrow(/dir/);
  });
});

describe('the edge pipeline: decode → greyscale → sobel → threshold → PNG files', () => {
  it('writes one PNG per photograph whose pixels equal the kernels applied to the decoded grey image', async () => {
    const out = tmp('edges');
    const model = await runtime()
      .pipeline([decodeImage(), greyscale(), sobel(), threshold({ value: 127 }), writeImage({ dir: out, name: 'id' })])
      .fit([]);
    const report = new RunReport();
    const records = await model.transform(PHOTOS.map((p) => ({ id: p.name, path: p.path })), { report, batchSize: 4 }).collect();
    expect(report.output).toBe(PHOTOS.length);
    expect(fs.readdirSync(out).sort()).toEqual(PHOTOS.map((p) => `${p.name}.png`).sort());
    // Re-derive one photo's edges outside the pipeline: sharp decode, BT.601, Sobel by definition, > 127.
    const { data, info } = await sharpLib(PHOTOS[0]!.path).raw().toBuffer({ resolveWithObject: true });
    const { width: w, height: h } = info;
    const g = new Float64Array(w * h);
    for (let p = 0; p < w * h; p++) g[p] = Math.floor((299 * data[3 * p]! + 587 * data[3 * p + 1]! + 114 * data[3 * p + 2]! + 500) / 1000);
    const at = (y: number, x: number) => g[(y < 0 ? -y : y >= h ? 2 * h - 2 - y : y) * w + (x < 0 ? -x : x >= w ? 2 * w - 2 - x : x)]!;
    const written = await sharpLib(records[0]!.file as string).raw().toBuffer({ resolveWithObject: true });
    expect([written.info.width, written.info.height]).toEqual([w, h]);
    let mismatches = 0;
    let edges = 0;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const gx = at(y - 1, x + 1) - at(y - 1, x - 1) + 2 * (at(y, x + 1) - at(y, x - 1)) + at(y + 1, x + 1) - at(y + 1, x - 1);
        const gy = at(y + 1, x - 1) - at(y - 1, x - 1) + 2 * (at(y + 1, x) - at(y - 1, x)) + at(y + 1, x + 1) - at(y - 1, x + 1);
        const expected = Math.min(255, Math.round(Math.hypot(gx, gy))) > 127 ? 255 : 0;
        if (expected) edges++;
        if (written.data[(y * w + x) * written.info.channels] !== expected) mismatches++;
      }
    }
    expect(mismatches).toBe(0);
    expect(edges).toBeGreaterThan(0.01 * w * h); // a photograph has edges
  });

  it('streams a folder given as a Dataset of image files, rejecting and counting the bad ones', async () => {
    const input = tmp('folder');
    for (const f of ['c13-truncated-half.jpg', 'c13-empty.jpg', 'c13-not-an-image.jpg', 'c07-cmyk-red-8x8.jpg', 'c09-grey16-2x2.png', 'c11-grey1ch-4x4.png']) {
      fs.copyFileSync(fixture(f), path.join(input, f));
    }
    fs.writeFileSync(path.join(input, 'notes.txt'), 'not listed: not an image extension');
    fs.mkdirSync(path.join(input, 'sub'));
    fs.copyFileSync(fixture('c14-step-8x8.png'), path.join(input, 'sub', 'step.png'));
    const out = tmp('folder-out');
    const model = await runtime().pipeline([decodeImage({ depth: 'uchar' }), greyscale(), sobel(), threshold({ value: 127 }), writeImage({ dir: out })]).fit([]);
    const report = new RunReport();
    const written = await model.transform(imageFiles(input), { report, errorPolicy: 'skip' }).collect();
    expect(report.input).toBe(7);
    expect(written.map((r) => r.id)).toEqual(['c07-cmyk-red-8x8', 'c09-grey16-2x2', 'c11-grey1ch-4x4', 'sub/step']);
    expect(report.skipped).toBe(3);
    expect(report.rejections.get('sharp:decode-image')?.get('UNSUPPORTED_IMAGE')).toBe(3);
    const step = await sharpLib(path.join(out, 'sub', 'step.png')).toColourspace('b-w').raw().toBuffer();
    expect(Array.from(step.subarray(0, 8))).toEqual([0, 0, 0, 255, 255, 0, 0, 0]);
    // Several batches in flight: the same records, in the same order, the same counts.
    const again = new RunReport();
    const overlapped = await (await runtime().pipeline([decodeImage({ depth: 'uchar' }), greyscale(), sobel(), threshold({ value: 127 }), writeImage({ dir: tmp('folder-out2') })]).fit([]))
      .transform(imageFiles(input), { report: again, errorPolicy: 'skip', batchSize: 2, concurrency: 3 })
      .collect();
    expect(overlapped.map((r) => r.id)).toEqual(written.map((r) => r.id));
    expect([again.input, again.output, again.skipped]).toEqual([7, 4, 3]);
    expect(() => model.transform(imageFiles(input), { concurrency: 0 })).toThrow(/concurrency must be a whole number/);
  });

  it("with batches in flight and errorPolicy 'fail', settles everything before the error reaches the caller", async () => {
    const input = tmp('fail-fast');
    for (let i = 0; i < 20; i++) fs.copyFileSync(fixture(i === 5 ? 'c13-not-an-image.jpg' : 'c14-step-8x8.png'), path.join(input, `${String(i).padStart(2, '0')}.${i === 5 ? 'jpg' : 'png'}`));
    const out = tmp('fail-fast-out');
    const model = await runtime().pipeline([decodeImage(), sobel(), writeImage({ dir: out })]).fit([]);
    const report = new RunReport();
    await expect(model.transform(imageFiles(input), { report, batchSize: 2, concurrency: 4 }).collect()).rejects.toMatchObject({ code: 'UNSUPPORTED_IMAGE' });
    const settled = [fs.readdirSync(out).length, report.input, report.output];
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect([fs.readdirSync(out).length, report.input, report.output]).toEqual(settled);
    expect(fs.readdirSync(out).every((f) => f.endsWith('.png'))).toBe(true);
  });
});

describe('resize, normalize and toTensor', () => {
  const one = async (specs: Parameters<ReturnType<typeof runtime>['pipeline']>[0], record: object) => {
    const model = await runtime().pipeline(specs).fit([]);
    return (await model.predict([record]))[0]!;
  };

  it('keeps channels and depth through resize (C11, C09) and never shrinks a side to nothing (C12)', async () => {
    const grey = (await one([decodeImage(), resize({ width: 2, height: 2 })], { path: fixture('c11-grey1ch-4x4.png') })).image as RawImage;
    expect([grey.width, grey.height, grey.channels, grey.depth]).toEqual([2, 2, 1, 'uchar']);
    const wide = (await one([decodeImage(), resize({ width: 1 })], { path: fixture('c09-grey16-2x2.png') })).image as RawImage;
    expect([wide.width, wide.height, wide.channels, wide.depth]).toEqual([1, 1, 1, 'ushort']);
    const strip: RawImage = { data: new Uint8Array(2000 * 4 * 3).fill(128), width: 2000, height: 4, channels: 3, depth: 'uchar' };
    const thin = (await one([resize({ width: 100, fit: 'inside' })], { image: strip })).image as RawImage;
    expect([thin.width, thin.height]).toEqual([100, 1]);
    expect(Array.from(thin.data).every((v) => v === 128)).toBe(true);
    const pixel: RawImage = { data: Uint8Array.from([10, 20, 30]), width: 1, height: 1, channels: 3, depth: 'uchar' };
    const nine = (await one([resize({ width: 3, height: 3 })], { image: pixel })).image as RawImage;
    expect(Array.from(nine.data)).toEqual(Array.from({ length: 9 }, () => [10, 20, 30]).flat());
  });

  it('resizes grey + alpha, and letterboxes 16-bit images at 16 bits where the 8-bit ones go', async () => {
    const ga: RawImage = { data: Uint8Array.from([10, 255, 10, 255, 200, 255, 200, 255]), width: 4, height: 1, channels: 2, depth: 'uchar' };
    const small = (await one([resize({ width: 2, height: 1, kernel: 'nearest' })], { image: ga })).image as RawImage;
    expect(small).toMatchObject({ width: 2, height: 1, channels: 2 });
    expect(Array.from(small.data)).toEqual([10, 255, 200, 255]);
    const bar8: RawImage = { data: new Uint8Array(3 * 1 * 3).fill(100), width: 3, height: 1, channels: 3, depth: 'uchar' };
    const bar16: RawImage = { ...bar8, data: Uint16Array.from(bar8.data, (v) => v * 257), depth: 'ushort' };
    const spec = resize({ width: 6, height: 5, fit: 'contain', background: '#ffffff', kernel: 'nearest' });
    const a = (await one([spec], { image: bar8 })).image as RawImage;
    const b = (await one([spec], { image: bar16 })).image as RawImage;
    expect([b.width, b.height, b.channels, b.depth]).toEqual([6, 5, 3, 'ushort']);
    // Same placement as sharp's 8-bit letterbox; white padding is 65535 (255 × 257), the image 100 × 257.
    expect(Array.from(b.data, (v) => v / 257)).toEqual(Array.from(a.data));
    expect(Math.max(...b.data)).toBe(65535);
  });

  it('turns a decoded image into a float32 tensor of shape [h, w, c] or [c, h, w]', async () => {
    const hwc = await one([decodeImage(), normalize(), toTensor()], { path: fixture('c11-grey1ch-4x4.png') });
    expect(isDenseTensor(hwc.tensor)).toBe(true);
    const t = hwc.tensor as { shape: number[]; data: Float32Array };
    expect(t.shape).toEqual([4, 4, 1]);
    expect(Array.from(t.data)).toEqual(Array.from({ length: 16 }, (_, i) => Math.fround((i * 16) / 255)));
    const chw = await one([decodeImage(), toTensor({ layout: 'chw' })], { path: fixture('c07-cmyk-white-8x8.jpg') });
    expect((chw.tensor as { shape: number[] }).shape).toEqual([3, 8, 8]);
  });

  it('rejects float images where they cannot go, naming the stage to use', async () => {
    const model = await runtime().pipeline([decodeImage(), sobel({ direction: 'x', kind: 'signed' }), resize({ width: 2 })]).fit([]);
    const report = new RunReport();
    await model.transform([{ path: fixture('c14-step-8x8.png') }], { report, errorPolicy: 'skip' }).collect();
    expect(report.samples[0]).toMatchObject({ code: 'UNSUPPORTED_IMAGE' });
    expect(report.samples[0]!.message).toMatch(/Resize before/);
    const enc = await runtime().pipeline([decodeImage(), sobel({ direction: 'x', kind: 'signed' }), encodeImage()]).fit([]);
    await expect(enc.predict([{ path: fixture('c14-step-8x8.png') }])).rejects.toThrow(/float image cannot be written/);
  });

  it("thresholds each channel at its own Otsu value", async () => {
    // Channel 0 splits 10|12 vs 200|202 (Otsu picks 12); channel 1 is the reverse pattern of 0 and 9 (picks 0).
    const image: RawImage = { data: Uint8Array.from([10, 9, 12, 9, 200, 0, 202, 0]), width: 4, height: 1, channels: 2, depth: 'uchar' };
    const out = await one([threshold({ value: 'otsu' })], { image });
    expect(Array.from((out.image as RawImage).data)).toEqual([0, 255, 0, 255, 255, 0, 255, 0]);
  });

  it('dead-letters a 16-bit image with its samples as numbers', async () => {
    const file = path.join(tmp('dead'), 'dead.jsonl');
    const model = await runtime().pipeline([threshold({ value: 'otsu' })]).fit([]);
    const wide: RawImage = { data: Uint16Array.from([0, 4369, 65535, 7]), width: 2, height: 2, channels: 1, depth: 'ushort' };
    await model.transform([{ id: 'w', image: wide }], { errorPolicy: 'dead-letter', deadLetterPath: file }).collect();
    const line = JSON.parse(fs.readFileSync(file, 'utf8').trim()) as { code: string; record: { image: { data: unknown } } };
    expect(line.code).toBe('INVALID_RECORD');
    expect(line.record.image.data).toEqual([0, 4369, 65535, 7]);
  });

  it('rejects records without an image, or with a malformed one, as INVALID_RECORD', async () => {
    const model = await runtime().pipeline([greyscale(), sobel()]).fit([]);
    const report = new RunReport();
    const bad = [
      { id: 'none' },
      { id: 'short', image: { data: new Uint8Array(3), width: 2, height: 2, channels: 1, depth: 'uchar' } },
      { id: 'depth', image: { data: new Uint8Array(4), width: 2, height: 2, channels: 1, depth: 'float' } },
      { id: 'zero', image: { data: new Uint8Array(0), width: 0, height: 2, channels: 1, depth: 'uchar' } },
      { id: 'ok', image: { data: noise(4, 1), width: 2, height: 2, channels: 1, depth: 'uchar' } },
    ];
    const out = await model.transform(bad, { report, errorPolicy: 'skip' }).collect();
    expect(out.map((r) => r.id)).toEqual(['ok']);
    expect(report.samples.map((s) => [s.recordId, s.code])).toEqual([
      ['none', 'INVALID_RECORD'],
      ['short', 'INVALID_RECORD'],
      ['depth', 'INVALID_RECORD'],
      ['zero', 'INVALID_RECORD'],
    ]);
  });
});

describe('encodeImage and writeImage', () => {
  const image: RawImage = { data: noise(6 * 4 * 3, 9), width: 6, height: 4, channels: 3, depth: 'uchar' };

  it('encodes PNG losslessly (16-bit kept) and JPEG / WebP as readable files of the right size', async () => {
    const model = await runtime().pipeline([encodeImage({ format: 'png' })]).fit([]);
    const [png] = await model.predict([{ image }]);
    const back = await sharpLib(png!.encoded as Buffer).raw().toBuffer();
    expect(Buffer.compare(back, Buffer.from(image.data))).toBe(0);
    const wide: RawImage = { data: Uint16Array.from([0, 257, 65535, 1234]), width: 2, height: 2, channels: 1, depth: 'ushort' };
    const [png16] = await model.predict([{ image: wide }]);
    const meta = await sharpLib(png16!.encoded as Buffer).metadata();
    expect([meta.depth, meta.channels]).toEqual(['ushort', 1]);
    const raw16 = await sharpLib(png16!.encoded as Buffer).toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer();
    expect(Array.from(new Uint16Array(raw16.buffer, raw16.byteOffset, 4))).toEqual([0, 257, 65535, 1234]);
    for (const format of ['jpeg', 'webp'] as const) {
      const [enc] = await (await runtime().pipeline([encodeImage({ format })]).fit([])).predict([{ image }]);
      expect(await sharpLib(enc!.encoded as Buffer).metadata()).toMatchObject({ format, width: 6, height: 4 });
    }
  });

  it('refuses names that leave the folder, and a second record with the same name', async () => {
    const dir = tmp('names');
    const model = await runtime().pipeline([writeImage({ dir })]).fit([]);
    const report = new RunReport();
    const out = await model
      .transform([{ id: '../escape', image }, { id: '/abs', image }, { id: 'a', image }, { id: 'a', image }, { image }, { path: '/x/y/cat.jpg', image }], { report, errorPolicy: 'skip' })
      .collect();
    expect(out.map((r) => path.basename(r.file as string))).toEqual(['a.png', 'cat.png']);
    expect(report.samples.map((s) => s.code)).toEqual(['INVALID_RECORD', 'INVALID_RECORD', 'INVALID_RECORD', 'INVALID_RECORD']);
    expect(report.samples[2]!.message).toMatch(/already written/);
    expect(fs.readdirSync(dir).sort()).toEqual(['a.png', 'cat.png']);
    expect(fs.existsSync(path.join(path.dirname(dir), 'escape.png'))).toBe(false);
    // A second run of the same model writes the same names again: it overwrites, it is not a duplicate.
    const rerun = new RunReport();
    await model.transform([{ id: 'a', image }], { report: rerun, errorPolicy: 'skip' }).collect();
    expect([rerun.output, rerun.skipped]).toEqual([1, 0]);
    const keep = await runtime().pipeline([writeImage({ dir, overwrite: false })]).fit([]);
    const kept = new RunReport();
    await keep.transform([{ id: 'a', image }], { report: kept, errorPolicy: 'skip' }).collect();
    expect(kept.samples[0]!.message).toMatch(/exists and overwrite is false/);
  });

  it("declares that it reads 'path', which names the file of a record without the name field", async () => {
    const dir = tmp('fields');
    const byId = await runtime().pipeline([writeImage({ dir })]).fit([]);
    expect(byId.schema).toEqual({ input: ['image', 'id', 'path'], output: ['file'] });
    const byPath = await runtime().pipeline([writeImage({ dir, name: 'path' })]).fit([]);
    expect(byPath.schema.input).toEqual(['image', 'path']);
  });

  it('rejects only the record that cannot be encoded, with the reason, and does not reserve its name', async () => {
    const dir = tmp('encode-fail');
    const wide: RawImage = { data: new Uint8Array(20000 * 3).fill(9), width: 20000, height: 1, channels: 3, depth: 'uchar' };
    const float: RawImage = { data: new Float32Array(4), width: 2, height: 2, channels: 1, depth: 'float' };
    const model = await runtime().pipeline([writeImage({ dir, format: 'webp' })]).fit([]);
    const report = new RunReport();
    const out = await model
      .transform([{ id: 'good1', image }, { id: 'wide', image: wide }, { id: 'good2', image }, { id: 'x', image: float }, { id: 'x', image }], { report, errorPolicy: 'skip' })
      .collect();
    expect(out.map((r) => r.id)).toEqual(['good1', 'good2', 'x']);
    expect(report.samples.map((s) => [s.recordId, s.code])).toEqual([
      ['wide', 'UNSUPPORTED_IMAGE'],
      ['x', 'INVALID_RECORD'],
    ]);
    expect(report.samples[0]!.message).toMatch(/too large for the WebP format/);
    expect(fs.readdirSync(dir).sort()).toEqual(['good1.webp', 'good2.webp', 'x.webp']);
  });

  it('writes long names the file system allows, refuses a suffix with a path in it', async () => {
    const dir = tmp('long');
    const model = await runtime().pipeline([writeImage({ dir })]).fit([]);
    const name = 'n'.repeat(250); // 254 bytes with .png: the limit is 255
    const [written] = await model.predict([{ id: name, image }]);
    expect(path.basename(written!.file as string)).toBe(`${name}.png`);
    const report = new RunReport();
    await model.transform([{ id: 'n'.repeat(260), image }], { report, errorPolicy: 'skip' }).collect();
    expect(report.samples[0]).toMatchObject({ code: 'INVALID_RECORD' });
    expect(report.samples[0]!.message).toMatch(/too long/);
    expect(() => runtime().resolve(writeImage({ dir, suffix: '/../../evil' }))).toThrow(/suffix/);
    expect(fs.readdirSync(dir)).toEqual([`${name}.png`]);
  });

  it('reports a folder it cannot write to as WRITE_FAILED, leaving no temporary file', async () => {
    const parent = tmp('blocked');
    const blocker = path.join(parent, 'file');
    fs.writeFileSync(blocker, 'a file where the output folder should be');
    const model = await runtime().pipeline([writeImage({ dir: blocker })]).fit([]);
    const report = new RunReport();
    await model.transform([{ id: 'x', image }], { report, errorPolicy: 'skip' }).collect();
    expect(report.samples[0]).toMatchObject({ code: 'WRITE_FAILED' });
    expect(fs.readdirSync(parent)).toEqual(['file']);
  });
});

describe('contactSheet', () => {
  it('lays rows of images out on one PNG, each scaled to the cell width', async () => {
    const white: RawImage = { data: new Uint8Array(4 * 2 * 3).fill(255), width: 4, height: 2, channels: 3, depth: 'uchar' };
    const grey: RawImage = { data: new Uint8Array(2 * 2).fill(100), width: 2, height: 2, channels: 1, depth: 'uchar' };
    const png = await contactSheet([[white, grey]], { cellWidth: 4, gap: 1, background: '#000000' });
    const { data, info } = await sharpLib(png).raw().toBuffer({ resolveWithObject: true });
    // Width 1 + 2 × (4 + 1); height 1 + 4 (the grey cell scaled 2×2 → 4×4) + 1.
    expect([info.width, info.height]).toEqual([11, 6]);
    const at = (x: number, y: number) => Array.from(data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3));
    expect(at(0, 0)).toEqual([0, 0, 0]); // the gap
    expect(at(1, 1)).toEqual([255, 255, 255]); // the white cell
    expect(at(1, 4)).toEqual([0, 0, 0]); // below the 2-pixel-high white cell
    expect(at(7, 3)).toEqual([100, 100, 100]); // the grey cell
    await expect(contactSheet([])).rejects.toThrow(/at least one row/);
  });
});
