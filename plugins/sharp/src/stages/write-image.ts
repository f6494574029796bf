import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { type Batch, type DataRecord, STAGE_PARAMS, type Stage, type StageContext, type Static, TributaryError, Type, defineStage, inject, injectable, pathParam, stageSpec } from '@tributary/core';
import { EXTENSIONS, encodeParams, encodePixels, encodeProblem } from '../encode.js';
import { type RawImage, describeField, mapImages } from '../image.js';

export const WriteImageParams = Type.Object(
  {
    input: Type.String({ default: 'image' }),
    /** The folder the files go to (made when missing). A spec file's relative path is taken from the spec's folder. */
    dir: pathParam(),
    /** The field that names each file (its extension is added); without one, the file name of the record's `path`. */
    name: Type.String({ default: 'id' }),
    /** Added to every name, before the extension: `-edges` gives `cat-edges.png`. */
    suffix: Type.String({ default: '' }),
    /** Receives the path of the written file. */
    output: Type.String({ default: 'file' }),
    /** Replace files that are already there; when false such records are rejected. */
    overwrite: Type.Boolean({ default: true }),
    ...encodeParams,
  },
  { additionalProperties: false },
);
export type WriteImageParams = Static<typeof WriteImageParams>;

/** A name from a record as a relative path whose every segment is a plain file name. */
function safeName(raw: string): string | undefined {
  const segments = raw.split('/');
  if (raw.length === 0 || raw.includes('\0') || raw.includes('\\') || path.isAbsolute(raw)) return undefined;
  if (segments.some((s) => s === '' || s === '.' || s === '..')) return undefined;
  return raw;
}

/**
 * The file sink: encodes each record's image and writes it to `dir`, atomically (a temporary file,
 * then a rename), so a crash never leaves half a PNG under the final name. Two records with the
 * same name in one run would overwrite each other; the second is rejected instead (a later run
 * overwrites the files of an earlier one, unless `overwrite` is false).
 */
@injectable()
export class WriteImageStage implements Stage {
  readonly kind = 'sharp:write-image';
  /** The files written in each run (keyed by StageContext.run), to catch two records with one name. */
  private readonly written = new WeakMap<object, Set<string>>();

  constructor(@inject(STAGE_PARAMS) private readonly params: WriteImageParams) {
    if (/[/\\\0]/.test(params.suffix) || params.suffix === '.' || params.suffix === '..') {
      throw new TributaryError('INVALID_PARAMS', { stage: this.kind, param: 'suffix', message: `suffix is added to file names and may not hold '/', '\\' or NUL; got ${JSON.stringify(params.suffix)}.` });
    }
  }

  transform(batch: Batch, ctx: StageContext): Promise<Batch> {
    let written = this.written.get(ctx.run);
    if (!written) this.written.set(ctx.run, (written = new Set()));
    const names = written;
    return mapImages(batch, ctx, this.params.input, this.params.output, (image, record) => this.write(image, record, names));
  }

  private nameOf(record: DataRecord): string {
    const p = this.params;
    const value = record[p.name];
    let raw: string | undefined;
    if (typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value))) raw = String(value);
    else if (typeof record.path === 'string') raw = path.basename(record.path, path.extname(record.path));
    const name = raw === undefined ? undefined : safeName(raw);
    if (name === undefined) {
      throw new TributaryError('INVALID_RECORD', {
        stage: this.kind,
        message:
          raw === undefined
            ? `${describeField(record, p.name)} does not name the file (a string or number), and the record has no 'path'. Set the stage's name param to the field that names each image.`
            : `The name ${JSON.stringify(raw)} is not a plain relative file name (no '..', absolute paths or backslashes); refusing to write outside ${p.dir}.`,
        details: { reason: 'name' },
      });
    }
    return name;
  }

  private async write(image: RawImage, record: DataRecord, written: Set<string>): Promise<string> {
    const p = this.params;
    const unencodable = encodeProblem(image, this.kind);
    if (unencodable) throw unencodable;
    const target = path.join(path.resolve(p.dir), `${this.nameOf(record)}${p.suffix}${EXTENSIONS[p.format]}`);
    if (written.has(target)) {
      throw new TributaryError('INVALID_RECORD', { stage: this.kind, message: `Another record of this run was already written to ${target} (two inputs with one name, such as a.jpg and a.png); give the records distinct names (writeImage's name param) or keep such files apart.`, details: { reason: 'duplicate-name' } });
    }
    // Reserved now (the records of a batch are written at once), released if this one fails.
    written.add(target);
    try {
      await this.writeFile(target, await encodePixels(image, p, this.kind));
    } catch (error) {
      written.delete(target);
      throw error;
    }
    return target;
  }

  /** Writes through a short temporary name in the same folder, then renames: a crash never leaves half a file under the final name. */
  private async writeFile(target: string, bytes: Buffer): Promise<void> {
    const p = this.params;
    const temp = path.join(path.dirname(target), `.${crypto.randomBytes(6).toString('hex')}.tmp`);
    try {
      await fs.mkdir(path.dirname(target), { recursive: true });
      if (!p.overwrite) {
        const exists = await fs.stat(target).then(() => true, () => false);
        if (exists) throw new TributaryError('INVALID_RECORD', { stage: this.kind, message: `${target} exists and overwrite is false.`, details: { reason: 'exists' } });
      }
      await fs.writeFile(temp, bytes);
      await fs.rename(temp, target);
    } catch (error) {
      await fs.rm(temp, { force: true }).catch(() => undefined);
      if (error instanceof TributaryError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENAMETOOLONG') {
        throw new TributaryError('INVALID_RECORD', {
          stage: this.kind,
          message: `The file name ${path.basename(target)} (${Buffer.byteLength(path.basename(target))} bytes) is too long for the file system; give the records shorter names (param name).`,
          details: { reason: 'name' },
          cause: error,
        });
      }
      throw new TributaryError('WRITE_FAILED', {
        stage: this.kind,
        message: `Cannot write ${target} (${code ?? String(error)}). Check that ${p.dir} is a writable folder and the disk has room.`,
        cause: error,
      });
    }
  }
}

export const writeImageStage = defineStage({
  kind: 'sharp:write-image',
  description: 'File sink: encode each image (PNG, JPEG, WebP) and write it to a folder, atomically.',
  params: WriteImageParams,
  // A record without the name field is named after its `path`, so that is read too.
  fields: (p) => ({ reads: [...new Set([p.input, p.name, 'path'])], writes: [p.output] }),
  implementation: WriteImageStage,
});

/** `writeImage({ dir: 'out', format: 'png' })` */
export const writeImage = stageSpec<Partial<WriteImageParams> & { dir: string }>('sharp:write-image');
