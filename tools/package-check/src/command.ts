import { execFile } from 'node:child_process';

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The environment a user's shell would give a command. Under `npm test` (and nx's `npm run test`)
 * npm exports the monorepo's configuration as `npm_config_*` variables (its local prefix, its
 * allow-scripts policy, ...), which a child `npm install` would read as its own. NODE_OPTIONS and
 * NODE_PATH could likewise let a script find packages the project does not have.
 */
export function userEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(key) || key === 'NODE_OPTIONS' || key === 'NODE_PATH' || key === 'INIT_CWD') continue;
    env[key] = value;
  }
  env.NO_COLOR = '1';
  return env;
}

/** Runs a command to its end; a non-zero exit is a result here, not an error (attw reports problems by it). */
export function runCommand(command: string, args: readonly string[], cwd: string): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, env: userEnvironment(), maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') {
        reject(new Error(`Could not run ${command} ${args.join(' ')} in ${cwd}: ${error.message}`, { cause: error }));
        return;
      }
      resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
    });
  });
}

/** Runs a command that must succeed; the error carries the end of its output, which says why it did not. */
export async function runChecked(command: string, args: readonly string[], cwd: string): Promise<string> {
  const result = await runCommand(command, args, cwd);
  if (result.code !== 0) {
    const tail = `${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-40).join('\n');
    throw new Error(`\`${command} ${args.join(' ')}\` exited with ${result.code} in ${cwd}:\n${tail}`);
  }
  return result.stdout;
}
