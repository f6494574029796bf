import path from 'node:path';
import { TributaryError } from '../errors/tributary-error.js';

/**
 * Checks that a path from a manifest stays inside its artifact directory: relative, POSIX separators,
 * no `..` or `.` segments, no drive letters, no NUL bytes. Returns the absolute path.
 */
export function resolveInside(dir: string, relative: string): string {
  const segments = relative.split('/');
  const unsafe =
    relative.length === 0 ||
    relative.includes('\0') ||
    relative.includes('\\') ||
    path.isAbsolute(relative) ||
    /^[a-zA-Z]:/.test(relative) ||
    segments.some((s) => s === '..' || s === '.' || s === '');
  const root = path.resolve(dir);
  const full = path.resolve(root, relative);
  if (unsafe || !full.startsWith(root + path.sep)) {
    throw new TributaryError('ARTIFACT_UNSAFE_PATH', {
      message: `The artifact at ${dir} names the file '${relative}', which is not a plain relative path inside the artifact. Refusing to read or write it; the manifest was made by hand or tampered with.`,
      details: { path: relative },
    });
  }
  return full;
}
