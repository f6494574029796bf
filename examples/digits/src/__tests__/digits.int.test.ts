import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { classifyDigits, digitFiles, trainDigits, writeDigitImages } from '@tributary/example-digits';
import sharpLib from 'sharp';
import { describe, expect, it } from 'vitest';

const tmp = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), `tributary-${prefix}-`));
const mnist = createRequire(import.meta.url)('mnist') as Array<{ raw: number[]; length: number }>;

describe('the collection step', () => {
  it("writes each digit as a 28×28 1-channel PNG of the package's values × 255, split 80/20 per digit", async () => {
    const dir = tmp('digits-collect');
    expect(await writeDigitImages(dir, { perDigit: 5 })).toEqual({ train: 40, test: 10 });
    const files = [...(await digitFiles(dir, 'train').collect()), ...(await digitFiles(dir, 'test').collect())];
    expect(files.length).toBe(50);
    for (let d = 0; d < 10; d++) expect(files.filter((f) => f.label === d).length).toBe(5);
    const sample = files.find((f) => f.label === 3)!;
    const index = Number(path.basename(sample.path, '.png').split('-')[1]);
    const { data, info } = await sharpLib(sample.path).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([28, 28]);
    expect((await sharpLib(sample.path).metadata()).channels).toBe(1);
    const expected = mnist[3]!.raw.slice(index * 784, (index + 1) * 784).map((v) => Math.round(v * 255));
    expect(Array.from(data.filter((_, i) => i % info.channels === 0))).toEqual(expected);
    // The same folder and split again: reused, not rewritten. A folder holding something else: refused.
    expect(await writeDigitImages(dir, { perDigit: 5 })).toEqual({ train: 40, test: 10 });
    await expect(writeDigitImages(dir, { perDigit: 6 })).rejects.toMatchObject({ code: 'INVALID_PARAMS' });
  });
});

describe('the digits pipeline', () => {
  it('reaches at least 0.97 test accuracy, and the saved pipeline predicts a PNG as the fitted one does', { timeout: 900_000 }, async () => {
    const images = tmp('digits-images');
    const out = path.join(tmp('digits-model'), 'model');
    const result = await trainDigits({ images, out });
    expect([result.train, result.test]).toEqual([8000, 2000]);
    expect(result.accuracy).toBeGreaterThanOrEqual(0.97);
    const total = result.confusion.matrix.flat().reduce((a, b) => a + b, 0);
    const diagonal = result.confusion.matrix.reduce((a, row, i) => a + row[i]!, 0);
    expect(total).toBe(2000);
    expect(diagonal / total).toBeCloseTo(result.accuracy, 10);
    // The report is kept with the model: ten classes, each class's support its row of the matrix.
    expect(result.summary.classes.map((c) => c.support)).toEqual(result.confusion.matrix.map((row) => row.reduce((a, b) => a + b, 0)));
    expect(fs.readFileSync(path.join(out, 'report.html'), 'utf8')).toContain('data-chart="confusion"');
    expect(result.summary.history['tfjs:conv-classifier']).toHaveLength(10);
    // A digit as a user would hand it over: a larger RGB JPEG, not the 28×28 grey PNG it came from.
    const source = (await digitFiles(images, 'test').take(1).collect())[0]!;
    const photo = path.join(images, 'user-digit.jpg');
    await sharpLib(source.path).resize(56, 56).toColourspace('srgb').jpeg({ quality: 95 }).toFile(photo);
    const [fitted] = await result.model.predict([{ path: photo }]);
    await result.model.dispose();
    const notAnImage = path.join(images, 'notes.png');
    fs.writeFileSync(notAnImage, 'not a picture');
    const { predictions, skipped } = await classifyDigits(out, [notAnImage, photo]);
    expect(predictions.map((p) => p.file)).toEqual([photo]);
    expect(predictions[0]!.digit).toBe(fitted!.prediction);
    expect(predictions[0]!.probability).toBeCloseTo(Math.max(...(fitted!.score as number[])), 5);
    expect(skipped).toEqual([expect.objectContaining({ file: notAnImage, code: 'UNSUPPORTED_IMAGE' })]);
  });
});
