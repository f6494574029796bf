import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { detectEdges, stdlibPhotos } from '@tributary/example-edge-detection';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const bin = path.join(path.dirname(require.resolve('@tributary/cli/package.json')), 'bin', 'tributary.js');
const spec = fileURLToPath(new URL('../../pipeline.yaml', import.meta.url));

describe('edge detection as a spec (pipeline.yaml) and as a program (src/edges.ts)', () => {
  it('`tributary run pipeline.yaml` writes the same edge pixels as detectEdges for every photograph', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edges-spec-'));
    try {
      await detectEdges({ output: path.join(dir, 'program'), sheet: 0 });
      const { stdout } = await promisify(execFile)(process.execPath, [bin, 'run', spec, '--set', `stages.4.params.dir=${path.join(dir, 'spec')}`, '--json', '-q']);
      expect(JSON.parse(stdout).records.train).toMatchObject({ input: 9, output: 9, skipped: 0 });
      const photos = stdlibPhotos();
      expect(photos).toHaveLength(9);
      for (const { id } of photos) {
        // The spec's files source names each photo by its package and file (…-image), the program by its package.
        const [a, b] = await Promise.all([
          sharp(path.join(dir, 'program', `${id}-edges.png`)).raw().toBuffer({ resolveWithObject: true }),
          sharp(path.join(dir, 'spec', `${id}-image-edges.png`)).raw().toBuffer({ resolveWithObject: true }),
        ]);
        expect(b.info).toEqual(a.info);
        expect(Buffer.compare(b.data, a.data), id).toBe(0);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
