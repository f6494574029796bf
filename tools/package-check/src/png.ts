import { crc32, deflateSync } from 'node:zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/**
 * An 8-bit RGB PNG (colour type 2, no filtering, no colour profile) written byte by byte from the
 * PNG specification, so the pixels a decoder returns can be compared with the ones put in without
 * trusting an image library to have written them.
 */
export function rgbPng(width: number, height: number, rgb: readonly number[]): Buffer {
  if (rgb.length !== width * height * 3) throw new Error(`rgbPng: ${width}×${height} RGB needs ${width * height * 3} values, got ${rgb.length}.`);
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bits per sample
  header[9] = 2; // truecolour (RGB)
  // Each scanline starts with its filter type; 0 (None) leaves the samples as they are.
  const rows: number[] = [];
  for (let y = 0; y < height; y++) rows.push(0, ...rgb.slice(y * width * 3, (y + 1) * width * 3));
  return Buffer.concat([SIGNATURE, chunk('IHDR', header), chunk('IDAT', deflateSync(Buffer.from(rows))), chunk('IEND', Buffer.alloc(0))]);
}
