import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package folder: plugins and data packages resolve from here as from a user's project. */
export const PACKAGE_DIR = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = path.join(PACKAGE_DIR, 'bin', 'tributary.js');
export const SPAM_SPEC = path.join(PACKAGE_DIR, '..', '..', 'examples', 'spam-filter', 'pipeline.yaml');

export interface Result {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built `tributary` command as a child process, as a user would from a shell. */
export function tributary(args: readonly string[], options: { cwd?: string; input?: string } = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd ?? PACKAGE_DIR, env: { ...process.env, NO_COLOR: '1' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** A fresh folder inside the package (so packages resolve from it as from a project), removed by the caller. */
export function scratchDir(name: string): string {
  const root = path.join(PACKAGE_DIR, '.tmp');
  fs.mkdirSync(root, { recursive: true });
  return fs.mkdtempSync(path.join(root, `${name}-`));
}

/** The 1-based line of the first line of `text` that contains `needle`. */
export function lineOf(text: string, needle: string): number {
  const index = text.split('\n').findIndex((line) => line.includes(needle));
  if (index < 0) throw new Error(`'${needle}' is not in the text`);
  return index + 1;
}

/** True when stderr carries a JavaScript stack trace. */
export const hasStack = (stderr: string) => /\n\s+at .+:\d+:\d+\)?/.test(stderr);
