/**
 * Delegation: running another plugin (typically IPAM) found in CNI_PATH with the same
 * environment, CNI_COMMAND set to the delegated command, and the config on stdin, as the
 * reference's invoke.DelegateAdd/Check/Del/GC/Status. The work is done by
 * `@tscni/spec/invoke` (shared with the runtime library), loaded on first use because it
 * pulls in child_process.
 */
import type { Result } from '@tscni/spec/result-types';
import type { EnvSource, TextSink } from './types.js';

/** Options of a delegated call. */
export interface DelegateOptions {
  /** Kills the delegate (SIGKILL) when aborted. */
  signal?: AbortSignal;
  /** The environment to pass on, CNI_PATH included (default process.env; use `args.env` in a handler). */
  env?: EnvSource;
  /** Where a successful delegate's stderr goes (default process.stderr). */
  stderr?: TextSink;
}

type InvokeModule = typeof import('@tscni/spec/invoke');

/** The shared invoke module, and these options in its terms. */
async function load(options: DelegateOptions): Promise<{ invoke: InvokeModule; opts: import('@tscni/spec/invoke').DelegateOptions }> {
  const invoke = await import('@tscni/spec/invoke');
  const { stderr } = options;
  const opts = {
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.env ? { env: options.env } : {}),
    ...(stderr ? { exec: new invoke.RawExec({ stderr: { write: (b: Uint8Array) => stderr.write(Buffer.from(b).toString('utf8')) } }) } : {}),
  };
  return { invoke, opts };
}

/**
 * ADD through `pluginType`, resolving to its result in the result's own `cniVersion` (the
 * config's when the result has none). A failing delegate rejects with its CniError; a
 * plugin missing from CNI_PATH with `failed to find plugin "<type>" in path [...]`.
 *
 * @example const ipam = await delegateAdd(conf.ipam.type, args.stdinData, { env: args.env });
 */
export async function delegateAdd(pluginType: string, netconf: Uint8Array | string, options: DelegateOptions = {}): Promise<Result> {
  const { invoke, opts } = await load(options);
  return invoke.delegateAdd(pluginType, netconf, opts);
}

/**
 * CHECK through `pluginType`; rejects with the delegate's error.
 *
 * @example await delegateCheck(conf.ipam.type, args.stdinData, { env: args.env });
 */
export async function delegateCheck(pluginType: string, netconf: Uint8Array | string, options: DelegateOptions = {}): Promise<void> {
  const { invoke, opts } = await load(options);
  await invoke.delegateCheck(pluginType, netconf, opts);
}

/**
 * DEL through `pluginType`; rejects with the delegate's error.
 *
 * @example await delegateDel(conf.ipam.type, args.stdinData, { env: args.env });
 */
export async function delegateDel(pluginType: string, netconf: Uint8Array | string, options: DelegateOptions = {}): Promise<void> {
  const { invoke, opts } = await load(options);
  await invoke.delegateDel(pluginType, netconf, opts);
}

/**
 * GC through `pluginType`; rejects with the delegate's error.
 *
 * @example await delegateGC(conf.ipam.type, args.stdinData, { env: args.env });
 */
export async function delegateGC(pluginType: string, netconf: Uint8Array | string, options: DelegateOptions = {}): Promise<void> {
  const { invoke, opts } = await load(options);
  await invoke.delegateGC(pluginType, netconf, opts);
}

/**
 * STATUS through `pluginType`; rejects with the delegate's error (e.g. code 50).
 *
 * @example await delegateStatus(conf.ipam.type, args.stdinData, { env: args.env });
 */
export async function delegateStatus(pluginType: string, netconf: Uint8Array | string, options: DelegateOptions = {}): Promise<void> {
  const { invoke, opts } = await load(options);
  await invoke.delegateStatus(pluginType, netconf, opts);
}
