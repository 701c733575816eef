/** `remediate demo` (the README's first command, `npm run demo`): see demo/run.ts. */
import type { Command } from 'commander';
import { embeddedOptions } from './dev';
import type { EmbeddedOptions } from '../worker/embedded-server';
import { EXIT } from './errors';

export function registerDemo(program: Command): void {
  embeddedOptions(
    program
      .command('demo')
      .description(
        "Run the reference exercise's four incidents end to end on the embedded server, acting on Kubernetes (a local control plane unless KUBECONFIG is set); INC003 waits for your approval. Ctrl-C stops it.",
      ),
  ).action(async (options: EmbeddedOptions) => {
    const { runDemo } = await import('../demo/run');
    process.exitCode = (await runDemo(options)) ? EXIT.OK : EXIT.FAILED;
  });
}
