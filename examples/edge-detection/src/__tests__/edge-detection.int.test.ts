import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { detectEdges, stdlibPhotos } from '@tributary/example-edge-detection';
import sharpLib from 'sharp';
import { describe, expect, it } from 'vitest';

const tmp = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), `tributary-${prefix}-`));

describe('the edge-detection example', () => {
  it('writes one binary edge PNG per photograph, of its size, and a contact sheet of photo beside edges', async () => {
    const photos = stdlibPhotos();
    expect(photos.map((p) => p.id)).toContain('nagasaki-boats');
    expect(photos.length).toBe(9);
    const output = tmp('edges');
    const summary = await detectEdges({ output });
    expect([summary.images, summary.written, summary.rejected]).toEqual([9, 9, 0]);
    let megapixels = 0;
    for (const photo of photos) {
      const meta = await sharpLib(photo.path).metadata();
      megapixels += (meta.width! * meta.height!) / 1e6;
      const file = path.join(output, `${photo.id}-edges.png`);
      const { data, info } = await sharpLib(file).raw().toBuffer({ resolveWithObject: true });
      expect([info.width, info.height]).toEqual([meta.width, meta.height]);
      const values = new Set(data);
      expect([...values].sort((a, b) => a - b)).toEqual([0, 255]);
      // Edges are a minority of the pixels of a photograph, but not absent.
      const edges = data.filter((v) => v === 255).length / data.length;
      expect(edges).toBeGreaterThan(0.005);
      expect(edges).toBeLessThan(0.5);
    }
    expect(summary.megapixels).toBeCloseTo(megapixels, 1);
    const sheet = await sharpLib(summary.contactSheet!).metadata();
    // Two pairs per row: 4 cells of 320 px and 5 gaps of 8 px; five rows for nine photographs.
    expect(sheet.width).toBe(4 * 320 + 5 * 8);
    expect(sheet.format).toBe('png');
  });

  it('takes any folder, skipping and reporting files that are not images', async () => {
    const input = tmp('edges-in');
    const photo = stdlibPhotos()[0]!;
    fs.copyFileSync(photo.path, path.join(input, 'a.jpg'));
    fs.writeFileSync(path.join(input, 'b.jpg'), 'not a picture');
    fs.writeFileSync(path.join(input, 'c.png'), Buffer.alloc(0));
    const output = tmp('edges-out');
    const summary = await detectEdges({ input, output, sheet: 1 });
    expect([summary.images, summary.written, summary.rejected]).toEqual([3, 1, 2]);
    expect(summary.rejections.map((r) => [r.id, r.code])).toEqual([
      ['b', 'UNSUPPORTED_IMAGE'],
      ['c', 'UNSUPPORTED_IMAGE'],
    ]);
    expect(fs.readdirSync(output).sort()).toEqual(['a-edges.png', 'contact-sheet.png']);
  });

  it('does not read back an output folder inside the input folder, and makes no output for a missing input', async () => {
    const input = tmp('edges-self');
    const photos = stdlibPhotos().slice(0, 3);
    for (const p of photos) fs.copyFileSync(p.path, path.join(input, `${p.id}.jpg`));
    const summary = await detectEdges({ input, output: path.join(input, 'edges'), sheet: 0 });
    expect([summary.images, summary.written]).toEqual([3, 3]);
    expect(fs.readdirSync(path.join(input, 'edges')).sort()).toEqual(photos.map((p) => `${p.id}-edges.png`).sort());
    const nowhere = path.join(tmp('edges-none'), 'out');
    await expect(detectEdges({ input: path.join(input, 'missing'), output: nowhere })).rejects.toMatchObject({ code: 'INVALID_PARAMS' });
    expect(fs.existsSync(nowhere)).toBe(false);
  });
});
