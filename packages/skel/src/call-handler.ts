/**
 * Calling one handler the way the reference's skel calls a callback: errors become CNI
 * errors, and ADD's result is printed in the config's version.
 */
import type { CniError } from '@tscni/spec/errors';
import { printResultAs } from '@tscni/spec/result-print';
import type { Result } from '@tscni/spec/result-types';
import { asCniError } from './handler-error.js';
import type { CmdArgs, Command, Handler, TextSink } from './types.js';

function isResultObject(v: unknown): v is Result {
  return v !== null && typeof v === 'object';
}

/**
 * Runs `handler` with `args`, printing ADD's result to `stdout`; resolves to the error the
 * plugin fails with, or undefined. A missing handler succeeds.
 *
 * @example const err = await callHandler('ADD', handlers.add, args, process.stdout);
 */
export async function callHandler(
  command: Command,
  handler: Handler<unknown> | undefined,
  args: CmdArgs,
  stdout: TextSink,
): Promise<{ error?: CniError; result?: Result }> {
  if (!handler) return {};
  try {
    const returned = await handler(args);
    if (command !== 'ADD' || !isResultObject(returned)) return {};
    // Printing is part of the handler's work in the reference too (types.PrintResult), so a
    // result that cannot be converted to the config's version fails like a handler error.
    stdout.write(printResultAs(returned, args.cniVersion));
    return { result: returned };
  } catch (e) {
    return { error: asCniError(e) };
  }
}
