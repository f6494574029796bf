import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type DataRecord, createRuntime } from '@tributary/core';
import { describeConformance } from '@tributary/core/testing';
import {
  type RawImage,
  decodeImage,
  encodeImage,
  greyscale,
  normalize,
  resize,
  sharp,
  sobel,
  threshold,
  toTensor,
  writeImage,
} from '@tributary/plugin-sharp';
import { afterAll } from 'vitest';
import { PHOTOS, fixture, noise } from './helpers.js';

const cat = PHOTOS.find((p) => p.name === 'locomotion-house-cat')!.path;

// Real pixels for the stages after decoding, decoded once by the plugin itself.
const decoder = await createRuntime({ plugins: [sharp] }).pipeline([decodeImage()]).fit([]);
const pixels = async (file: string) => (await decoder.predict([{ path: file }]))[0]!.image as RawImage;
const step = await pixels(fixture('c14-step-8x8.png')); // 8×8 grey, 8-bit
const cmyk = await pixels(fixture('c07-cmyk-red-8x8.jpg')); // a CMYK JPEG, decoded to 8×8 sRGB
const grey16 = await pixels(fixture('c09-grey16-2x2.png')); // 2×2 grey, 16-bit
// The photograph shrunk to 12×9 RGB, so every check stays quick.
const shrink = await createRuntime({ plugins: [sharp] }).pipeline([decodeImage(), resize({ width: 12, height: 9, fit: 'fill' })]).fit([]);
const photo = (await shrink.predict([{ path: cat }]))[0]!.image as RawImage;

const rgbaNoise: RawImage = { data: noise(5 * 4 * 4, 11), width: 5, height: 4, channels: 4, depth: 'uchar' };
const floatImage: RawImage = { data: new Float32Array(16).fill(0.5), width: 4, height: 4, channels: 1, depth: 'float' };
const fiveChannels: RawImage = { data: noise(2 * 2 * 5, 3), width: 2, height: 2, channels: 5, depth: 'uchar' };

/** Values that are no image at all, or an image whose fields contradict each other. */
const notImages: DataRecord[] = [
  { id: 'text', image: 'cat.png' },
  { id: 'short-data', image: { data: new Uint8Array(3), width: 2, height: 2, channels: 1, depth: 'uchar' } },
  { id: 'depth-lies', image: { data: new Uint8Array(4), width: 2, height: 2, channels: 1, depth: 'ushort' } },
  { id: 'zero-width', image: { data: new Uint8Array(0), width: 0, height: 2, channels: 1, depth: 'uchar' } },
  { id: 'plain-array', image: { data: [1, 2, 3, 4], width: 2, height: 2, channels: 1, depth: 'uchar' } },
];

const images = (...list: RawImage[]) => list.map((image, i) => ({ id: `img${i}`, label: i % 2, image }));

const out = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-sharp-conformance-'));
afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

describeConformance({
  plugin: sharp,
  cases: [
    {
      spec: decodeImage({ input: 'path', output: 'image', alpha: 'flatten', background: '#808080' }),
      records: [
        { id: 'cat', label: 'photo', path: cat },
        { id: 'cmyk', label: 'fixture', path: fixture('c07-cmyk-red-8x8.jpg') },
        { id: 'grey16', label: 'fixture', path: fixture('c09-grey16-2x2.png') },
        { id: 'bytes', label: 'fixture', path: fs.readFileSync(fixture('c14-step-8x8.png')) },
      ],
      bad: [
        { id: 'missing-file', path: path.join(out, 'no-such-file.png') },
        { id: 'not-an-image', path: fixture('c13-not-an-image.jpg') },
        { id: 'truncated', path: fixture('c13-truncated-half.jpg') },
        { id: 'empty-file', path: fixture('c13-empty.jpg') },
        { id: 'garbage-bytes', path: Buffer.from('this is not an image at all, just text') },
        { id: 'empty-bytes', path: new Uint8Array(0) },
        { id: 'float-tiff', path: fixture('float-grey-4x4.tif') },
        { id: 'a-folder', path: out },
        { id: 'number', path: 42 },
      ],
      badParams: [{ channels: 'cmyk' }, { depth: 'float' }, { alpha: 'blend' }, { background: 'white' }, { maxPixels: 0 }, { tolerant: 'yes' }],
    },
    {
      // Damaged files are good records here: decoded as far as they go and flagged partial.
      name: 'sharp:decode-image (tolerant)',
      spec: decodeImage({ input: 'path', output: 'image', tolerant: true, depth: 'uchar', channels: 'rgb' }),
      records: [
        { id: 'truncated-jpeg', path: fixture('c13-truncated-half.jpg') },
        { id: 'truncated-png', path: fixture('c13-truncated-half.png') },
        { id: 'grey16', path: fixture('c09-grey16-2x2.png') },
      ],
      bad: [
        { id: 'not-an-image', path: fixture('c13-not-an-image.jpg') },
        { id: 'garbage-bytes', path: Buffer.from('still not an image') },
      ],
    },
    {
      spec: greyscale({ input: 'image', output: 'grey' }),
      records: images(photo, cmyk, rgbaNoise, grey16),
      bad: [...notImages, { id: 'five-channels', image: fiveChannels }],
      badParams: [{ weights: 'bt2020' }, { weights: [0.3, 0.6] }, { weights: [0.3, 0.6, 'x'] }],
    },
    {
      spec: sobel({ input: 'image', output: 'edges', direction: 'x', kind: 'signed', border: 'replicate' }),
      records: images(step, photo, grey16, floatImage),
      bad: notImages,
      badParams: [{ direction: 'z' }, { border: 'wrap' }, { direction: 'magnitude', kind: 'signed' }, { scale: '2' }],
    },
    {
      spec: threshold({ input: 'image', output: 'mask', value: 'otsu', type: 'binaryInverse' }),
      records: images(step, photo, cmyk),
      bad: [...notImages, { id: 'otsu-on-16-bit', image: grey16 }, { id: 'otsu-on-float', image: floatImage }],
      badParams: [{ value: 'mean' }, { type: 'toZero' }, { max: 'white' }],
    },
    {
      spec: resize({ input: 'image', output: 'small', width: 6, height: 4, fit: 'contain', background: '#336699', kernel: 'cubic' }),
      records: images(photo, step, grey16, rgbaNoise, { ...rgbaNoise, data: noise(5 * 4 * 2, 5), channels: 2 }),
      bad: [...notImages, { id: 'float', image: floatImage }, { id: 'five-channels', image: fiveChannels }],
      badParams: [{}, { width: 0 }, { width: 2.5 }, { width: 4, fit: 'stretch' }, { width: 4, kernel: 'bilinear' }, { width: 4, background: '#12345' }],
    },
    {
      spec: normalize({ input: 'image', output: 'normalized', mode: 'standard', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }),
      records: images(photo, cmyk),
      bad: [...notImages, { id: 'grey-for-three-means', image: step }],
      badParams: [{ mode: 'standard', mean: [0.5] }, { mode: 'scale', mean: [0.5], std: [0.5] }, { mode: 'standard', mean: [0.5], std: [0] }, { mode: 'zscore' }, { mode: 'standard', mean: [], std: [] }],
    },
    {
      spec: toTensor({ input: 'image', output: 'tensor', layout: 'chw' }),
      records: images(photo, grey16, floatImage, rgbaNoise),
      bad: notImages,
      badParams: [{ layout: 'nhwc' }, { rescale: 255 }],
    },
    {
      spec: encodeImage({ input: 'image', output: 'png', format: 'png', compressionLevel: 9 }),
      records: images(photo, grey16, rgbaNoise),
      bad: [...notImages, { id: 'float', image: floatImage }, { id: 'five-channels', image: fiveChannels }],
      badParams: [{ format: 'gif' }, { quality: 0 }, { quality: 101 }, { compressionLevel: 10 }, { background: 'red' }],
    },
    {
      spec: writeImage({ dir: path.join(out, 'written'), input: 'image', name: 'id', suffix: '-conformance', format: 'webp', lossless: true }),
      // The last record has no name field: its file is named after its path.
      records: [...images(photo, step, cmyk, rgbaNoise), { label: 1, path: '/photos/kitten.jpg', image: step }],
      bad: [
        ...notImages,
        { id: '../escape', image: step },
        { id: '/etc/absolute', image: step },
        { id: 'float', image: floatImage },
        { id: 'five-channels', image: fiveChannels },
        { id: { nested: true }, image: step },
      ],
      badParams: [{ input: 'image' }, { dir: path.join(out, 'w'), suffix: '/up' }, { dir: path.join(out, 'w'), format: 'bmp' }, { dir: 7 }, { dir: path.join(out, 'w'), overwrite: 'no' }],
    },
  ],
});
