import { UsageError } from '../errors.js';
import { importFromProject } from '../project.js';
import type { GlobalOptions } from '../output.js';

export interface ServeOptions extends GlobalOptions {
  readonly port?: string;
  readonly host?: string;
}

/** `tributary serve <artifact>`: hands the model to @tributary/serve when it is installed. */
export async function serveCommand(dir: string, options: ServeOptions): Promise<void> {
  let serve: Record<string, unknown>;
  try {
    serve = await importFromProject('@tributary/serve', process.cwd(), 'tributary serve');
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    throw new UsageError(`tributary serve hands the model to @tributary/serve, which is not installed in ${process.cwd()}, and is not released yet. Until it is, load the model with createRuntime({ plugins }).load('${dir}') and call model.predict() from your own server; tributary predict answers JSON Lines meanwhile.`);
  }
  const run = serve.serveCommand;
  if (typeof run !== 'function') throw new UsageError('The installed @tributary/serve has no serveCommand; install a version made for this CLI.');
  await (run as (dir: string, options: ServeOptions) => Promise<void>)(dir, options);
}
