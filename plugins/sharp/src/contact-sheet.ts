import { TributaryError } from '@tributary/core';
import { type RawImage, imageProblem, withDepth } from './image.js';
import { colourspaceFor, fromRaw, loadSharp } from './sharp.js';

export interface ContactSheetOptions {
  /** Width of every cell in pixels; each image is scaled to it, keeping its aspect ratio. Default 256. */
  readonly cellWidth?: number;
  /** Pixels between cells and around the sheet. Default 8. */
  readonly gap?: number;
  /** Sheet colour, as hex. Default '#202020'. */
  readonly background?: string;
}

/**
 * A PNG a person can look at: rows of images side by side (e.g. each photograph beside its edges),
 * every image scaled to one cell width. 8-bit images of 1–4 channels; 16-bit ones are narrowed.
 */
export async function contactSheet(rows: ReadonlyArray<readonly RawImage[]>, options: ContactSheetOptions = {}): Promise<Buffer> {
  const cellWidth = options.cellWidth ?? 256;
  const gap = options.gap ?? 8;
  if (!Number.isInteger(cellWidth) || cellWidth < 1 || !Number.isInteger(gap) || gap < 0) {
    throw new TributaryError('INVALID_PARAMS', { param: 'cellWidth', message: 'contactSheet needs a whole cellWidth ≥ 1 and a whole gap ≥ 0.' });
  }
  if (rows.length === 0 || rows.some((row) => row.length === 0)) {
    throw new TributaryError('INVALID_PARAMS', { message: 'contactSheet needs at least one row, and every row at least one image.' });
  }
  const sharp = await loadSharp();
  const cells: Array<Array<{ input: Buffer; width: number; height: number }>> = [];
  for (const row of rows) {
    const out = [];
    for (const image of row) {
      const problem = imageProblem(image);
      if (problem || image.depth === 'float' || image.channels > 4) {
        throw new TributaryError('INVALID_PARAMS', { message: `contactSheet takes 8- or 16-bit images of 1 to 4 channels; one ${problem ?? `is ${image.depth} with ${image.channels} channels`}.` });
      }
      const narrow = withDepth(image, 'uchar');
      const { data, info } = await (await fromRaw(narrow))
        .toColourspace(colourspaceFor(narrow.channels, 'uchar'))
        .resize({ width: cellWidth })
        .flatten({ background: options.background ?? '#202020' })
        .toColourspace('srgb')
        .png({ compressionLevel: 1 })
        .toBuffer({ resolveWithObject: true });
      out.push({ input: data, width: info.width, height: info.height });
    }
    cells.push(out);
  }
  const columns = Math.max(...cells.map((row) => row.length));
  const heights = cells.map((row) => Math.max(...row.map((c) => c.height)));
  const width = gap + columns * (cellWidth + gap);
  const height = gap + heights.reduce((a, h) => a + h + gap, 0);
  const composites: Array<{ input: Buffer; left: number; top: number }> = [];
  let top = gap;
  cells.forEach((row, r) => {
    row.forEach((cell, c) => composites.push({ input: cell.input, left: gap + c * (cellWidth + gap), top }));
    top += heights[r]! + gap;
  });
  return sharp({ create: { width, height, channels: 3, background: options.background ?? '#202020' } })
    .composite(composites)
    .removeAlpha()
    .png()
    .toBuffer();
}
