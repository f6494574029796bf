import crypto from 'node:crypto';
import { Value } from '@sinclair/typebox/value';
import { TributaryError, isTributaryError } from '../errors/tributary-error.js';
import type { ArtifactStore } from './artifact-store.js';
import { MANIFEST_FILE, MANIFEST_FORMAT, MANIFEST_VERSION, type Manifest, ManifestSchema } from './manifest.js';
import { resolveInside } from './safe-path.js';

export function sha256(bytes: Uint8Array): string {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

const encoder = new TextEncoder();

/** The digest of a manifest: sha256 of its JSON without the digest field. */
function manifestDigest(manifest: object): string {
  const { digest: _digest, ...body } = manifest as { digest?: string };
  return sha256(encoder.encode(JSON.stringify(body)));
}

/** Writes a manifest and its files as one artifact directory, filling in every file's sha256. */
export async function writeArtifact(
  store: ArtifactStore,
  dir: string,
  manifest: Omit<Manifest, 'files' | 'digest'>,
  files: ReadonlyMap<string, Uint8Array | string>,
): Promise<Manifest> {
  const bytes = new Map<string, Uint8Array>();
  const hashes: Record<string, string> = {};
  for (const [relative, content] of files) {
    if (relative === MANIFEST_FILE) throw new TributaryError('ARTIFACT_UNSAFE_PATH', { message: `A stage may not write a file named ${MANIFEST_FILE}.` });
    resolveInside(dir, relative);
    const data = typeof content === 'string' ? encoder.encode(content) : content;
    bytes.set(relative, data);
    hashes[relative] = sha256(data);
  }
  const body = { ...manifest, files: hashes };
  const complete: Manifest = { ...body, digest: manifestDigest(body) };
  bytes.set(MANIFEST_FILE, encoder.encode(`${JSON.stringify(complete, null, 2)}\n`));
  await store.writeDirectory(dir, bytes);
  return complete;
}

/** A verified artifact: its manifest and every file it lists, each checked against its hash. */
export interface ArtifactContents {
  readonly manifest: Manifest;
  readonly files: ReadonlyMap<string, Uint8Array>;
}

/**
 * Reads and verifies an artifact: the manifest must parse and match the schema, every path must stay
 * inside the directory, and every file must match its recorded sha256. Nothing in it is executed.
 */
export async function readArtifact(store: ArtifactStore, dir: string): Promise<ArtifactContents> {
  let raw: Uint8Array;
  try {
    raw = await store.readFile(dir, MANIFEST_FILE);
  } catch (error) {
    if (isTributaryError(error, 'ARTIFACT_UNSAFE_PATH')) throw error;
    throw new TributaryError('ARTIFACT_NOT_FOUND', {
      message: `No saved model at ${dir}: ${MANIFEST_FILE} is missing or unreadable. Check the path, or save a model there with model.save(dir).`,
      cause: error,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
  } catch (error) {
    throw new TributaryError('ARTIFACT_CORRUPT', { message: `${MANIFEST_FILE} in ${dir} is not valid UTF-8 JSON; the artifact is damaged. Re-save the model.`, cause: error });
  }
  if (typeof parsed === 'object' && parsed !== null) {
    const { format, formatVersion } = parsed as { format?: unknown; formatVersion?: unknown };
    if (format === MANIFEST_FORMAT && typeof formatVersion === 'number' && formatVersion > MANIFEST_VERSION) {
      throw new TributaryError('ARTIFACT_VERSION', {
        message: `The model at ${dir} was saved in format version ${formatVersion}; this @tributary/core reads up to ${MANIFEST_VERSION}. Upgrade @tributary/core.`,
      });
    }
  }
  if (!Value.Check(ManifestSchema, parsed)) {
    const first = [...Value.Errors(ManifestSchema, parsed)][0];
    throw new TributaryError('ARTIFACT_CORRUPT', {
      message: `${MANIFEST_FILE} in ${dir} is not a Tributary model manifest (${first ? `${first.path || '/'}: ${first.message}` : 'schema mismatch'}). Re-save the model.`,
    });
  }
  const manifest = parsed;
  if (manifestDigest(manifest) !== manifest.digest) {
    throw new TributaryError('ARTIFACT_CORRUPT', {
      message: `${MANIFEST_FILE} in ${dir} was changed after the model was saved (its digest does not match). Re-save the model, or restore the artifact from a trusted copy.`,
    });
  }
  const files = new Map<string, Uint8Array>();
  for (const [relative, expected] of Object.entries(manifest.files)) {
    resolveInside(dir, relative);
    const data = await store.readFile(dir, relative);
    const actual = sha256(data);
    if (actual !== expected) {
      throw new TributaryError('ARTIFACT_CORRUPT', {
        message: `The file '${relative}' of the model at ${dir} does not match its recorded sha256 (it was changed after saving). Re-save the model, or restore the artifact from a trusted copy.`,
        details: { path: relative, expected, actual },
      });
    }
    files.set(relative, data);
  }
  for (const stage of manifest.stages) {
    for (const relative of Object.values(stage.state?.files ?? {})) {
      resolveInside(dir, relative);
      if (!files.has(relative)) {
        throw new TributaryError('ARTIFACT_CORRUPT', {
          message: `Stage '${stage.kind}' of the model at ${dir} names the file '${relative}', which the manifest does not list with a hash. Re-save the model.`,
        });
      }
    }
  }
  return { manifest, files };
}
