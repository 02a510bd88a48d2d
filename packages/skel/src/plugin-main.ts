/**
 * The entry point of a plugin executable: the dispatcher wired to this process.
 */
import { runPlugin } from './dispatcher.js';
import type { Handlers, PluginInfo, TextSink } from './types.js';

/** A sink on a process stream that can wait until everything written has been handed to the OS. */
function flushable(stream: NodeJS.WriteStream): TextSink & { drained(): Promise<void> } {
  const pending: Promise<void>[] = [];
  return {
    write(chunk: string) {
      pending.push(new Promise((resolve) => stream.write(chunk, () => resolve())));
    },
    drained: async () => {
      await Promise.all(pending);
    },
  };
}

/**
 * Runs the plugin for this process: reads the CNI_* environment and stdin, dispatches to
 * the handler for CNI_COMMAND, prints the result or the error JSON to stdout, and exits
 * (0 on success, 1 on error) once the output is written. Stdin is never touched for VERSION.
 *
 * @example
 *   pluginMain(
 *     { add: async (args) => ({ cniVersion: args.cniVersion, ips: [] }), del: () => {} },
 *     { versions: ['1.0.0', '1.1.0'], about: 'my-plugin v1' },
 *   );
 */
export async function pluginMain(handlers: Handlers, info: PluginInfo): Promise<never> {
  const stdout = flushable(process.stdout);
  const stderr = flushable(process.stderr);
  let code: number;
  try {
    code = await runPlugin(
      {
        env: process.env,
        // A getter, not process.stdin itself: touching process.stdin opens fd 0, which VERSION must not do.
        stdin: () => readProcessStdin(),
        stdout,
        stderr,
      },
      handlers,
      info,
    );
  } catch (e) {
    // Only a programming error (no versions) gets here; Go's skel panics, exiting 2.
    stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    code = 2;
  }
  await Promise.all([stdout.drained(), stderr.drained()]);
  // Exit like a Go plugin returning from main: handles a handler left open do not keep it alive.
  process.exit(code);
}

async function readProcessStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}
