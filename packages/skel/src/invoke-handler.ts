/**
 * Calling a plugin's handler directly, without a process: how a plugin author unit-tests
 * a handler with the SDK's error and result handling around it.
 */
import type { CniError } from '@tscni/spec/errors';
import type { Result } from '@tscni/spec/result-types';
import type { CmdArgsInit, Command, Handlers, TextSink } from './types.js';

const HANDLER_OF: Record<Command, keyof Handlers> = { ADD: 'add', DEL: 'del', CHECK: 'check', GC: 'gc', STATUS: 'status' };

/** What a directly invoked handler did. */
export interface HandlerOutcome {
  /** What the plugin would have printed on stdout: the result, or the error JSON. */
  stdout: string;
  /** ADD's result as the handler returned it. */
  result?: Result;
  /** The error the plugin would fail with. */
  error?: CniError;
}

/**
 * Calls the handler for `command` with CmdArgs built from `init`, skipping the environment
 * checks and version negotiation of a real run. Errors become CNI errors (999 for untyped
 * ones) and ADD's result is printed in the config's version, as in a real run.
 *
 * @example
 *   const out = await invokeHandler('ADD', handlers, { ifName: 'eth0', stdinData: '{"cniVersion":"1.1.0","name":"n"}' });
 *   assert.equal(out.error, undefined);
 */
export async function invokeHandler(command: Command, handlers: Handlers, init: CmdArgsInit): Promise<HandlerOutcome> {
  const [{ callHandler }, { createCmdArgs }] = await Promise.all([import('./call-handler.js'), import('./cmd-args.js')]);
  let stdout = '';
  const sink: TextSink = { write: (chunk: string) => (stdout += chunk) };
  const { error, result } = await callHandler(command, handlers[HANDLER_OF[command]], createCmdArgs(command, init), sink);
  if (error) stdout += error.print();
  return { stdout, ...(result ? { result } : {}), ...(error ? { error } : {}) };
}
