/**
 * The entry point of a plugin executable: the dispatcher wired to this process.
 */
import { readSync, writeSync } from 'node:fs';
import { runPlugin } from './dispatcher.js';
import type { Handlers, PluginInfo, TextSink } from './types.js';

// A plugin's stdin and stdout are a pipe or a file, blocking as a runtime passes them: they are
// read and written with plain system calls. process.stdin and process.stdout would load Node's
// stream, net and readline modules first, a few milliseconds of every plugin process's start.
// A descriptor that is non-blocking after all (EAGAIN) is left to the streams.

function isAgain(e: unknown): boolean {
  return (e as NodeJS.ErrnoException | undefined)?.code === 'EAGAIN';
}

/** A sink on fd 1 or 2 that can wait until everything written has been handed to the OS. */
function flushable(fd: 1 | 2, stream: () => NodeJS.WriteStream): TextSink & { drained(): Promise<void> } {
  const pending: Promise<void>[] = [];
  let viaStream = false;
  const toStream = (chunk: Uint8Array | string): void => {
    viaStream = true;
    pending.push(new Promise((resolve) => stream().write(chunk, () => resolve())));
  };
  return {
    write(chunk: string) {
      if (viaStream) return toStream(chunk);
      const bytes = Buffer.from(chunk, 'utf8');
      let off = 0;
      try {
        while (off < bytes.length) off += writeSync(fd, bytes, off);
      } catch (e) {
        // Any other error (EPIPE: the reader is gone) ends the write as the stream would.
        if (isAgain(e)) toStream(bytes.subarray(off));
      }
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
  const stdout = flushable(1, () => process.stdout);
  const stderr = flushable(2, () => process.stderr);
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
  for (;;) {
    const chunk = Buffer.allocUnsafe(64 * 1024);
    let n: number;
    try {
      n = readSync(0, chunk, 0, chunk.length, null);
    } catch (e) {
      if (!isAgain(e)) throw e;
      for await (const rest of process.stdin) chunks.push(typeof rest === 'string' ? Buffer.from(rest) : (rest as Buffer));
      break;
    }
    if (n === 0) break;
    chunks.push(chunk.subarray(0, n));
  }
  return Buffer.concat(chunks);
}
