/**
 * cnitool's process entry: argv and environment in, exit code out.
 */
import { USAGE, UsageError, parseInvocation } from './cli.js';
import { runInvocation } from './run.js';

async function main(): Promise<number> {
  const io = {
    stdout: (t: string) => void process.stdout.write(t),
    stderr: (t: string) => void process.stderr.write(t),
  };
  try {
    const inv = parseInvocation(process.argv.slice(2), process.env);
    return await runInvocation(inv, process.env, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`cnitool: ${e.message}\n\n${USAGE}`);
      return 1;
    }
    io.stderr(`cnitool: error: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`cnitool: error: ${String(e)}\n`);
    process.exitCode = 1;
  },
);
