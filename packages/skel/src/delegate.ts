/**
 * Delegation: running another plugin (typically IPAM) found in CNI_PATH with the same
 * environment, CNI_COMMAND set to the delegated command, and the config on stdin, as the
 * reference's invoke.DelegateAdd/Check/Del/GC/Status. The exec machinery loads on first use.
 */
import { delimiter } from 'node:path';
import type { Result } from '@tscni/spec/result-types';
import type { EnvSource, TextSink } from './types.js';

/** Options of a delegated call. */
export interface DelegateOptions {
  /** Kills the delegate (SIGKILL) when aborted. */
  signal?: AbortSignal;
  /** The environment to pass on, CNI_PATH included (default process.env; use `args.env` in a handler). */
  env?: EnvSource;
  /** Where the delegate's stderr goes (default process.stderr). */
  stderr?: TextSink;
}

const encoder = new TextEncoder();

async function run(command: string, pluginType: string, netconf: Uint8Array, options: DelegateOptions): Promise<Uint8Array> {
  const { findInPath, execPlugin } = await import('./plugin-exec.js');
  const env = options.env ?? process.env;
  const cniPath = env['CNI_PATH'] ?? '';
  // Go's filepath.SplitList: nothing for an empty value, otherwise every entry (empty ones too).
  const paths = cniPath === '' ? [] : cniPath.split(delimiter);
  const pluginPath = findInPath(pluginType, paths);
  // A copy: the caller's own environment (process.env) keeps its CNI_COMMAND.
  return execPlugin(pluginPath, netconf, { ...env, CNI_COMMAND: command }, options);
}

function bytesOf(netconf: Uint8Array | string): Uint8Array {
  return typeof netconf === 'string' ? encoder.encode(netconf) : netconf;
}

/**
 * ADD through `pluginType`, resolving to its result in the result's own `cniVersion` (the
 * config's when the result has none). A failing delegate rejects with its CniError; a
 * plugin missing from CNI_PATH with `failed to find plugin "<type>" in path [...]`.
 *
 * @example const ipam = await delegateAdd(conf.ipam.type, args.stdinData, { env: args.env });
 */
export async function delegateAdd(pluginType: string, netconf: Uint8Array | string, options: DelegateOptions = {}): Promise<Result> {
  const bytes = bytesOf(netconf);
  const stdout = await run('ADD', pluginType, bytes, options);
  const [{ decodeVersion }, { parseJsonObject }, { createResult }] = await Promise.all([
    import('@tscni/spec/version'),
    import('@tscni/spec/gojson'),
    import('@tscni/spec/result-decode'),
  ]);
  const configVersion = decodeVersion(bytes);
  let raw;
  try {
    raw = parseJsonObject(stdout);
  } catch (e) {
    throw new Error(`failed to unmarshal raw result: ${(e as Error).message}`);
  }
  const own = raw['cniVersion'];
  // The reference's back-compat rule: a result without a version is in the config's version.
  const version = typeof own === 'string' && own !== '' ? own : configVersion;
  return createResult(version, { ...raw, cniVersion: version });
}

/**
 * CHECK through `pluginType`; rejects with the delegate's error.
 *
 * @example await delegateCheck(conf.ipam.type, args.stdinData, { env: args.env });
 */
export async function delegateCheck(pluginType: string, netconf: Uint8Array | string, options: DelegateOptions = {}): Promise<void> {
  await run('CHECK', pluginType, bytesOf(netconf), options);
}

/**
 * DEL through `pluginType`; rejects with the delegate's error.
 *
 * @example await delegateDel(conf.ipam.type, args.stdinData, { env: args.env });
 */
export async function delegateDel(pluginType: string, netconf: Uint8Array | string, options: DelegateOptions = {}): Promise<void> {
  await run('DEL', pluginType, bytesOf(netconf), options);
}

/**
 * GC through `pluginType`; rejects with the delegate's error.
 *
 * @example await delegateGC(conf.ipam.type, args.stdinData, { env: args.env });
 */
export async function delegateGC(pluginType: string, netconf: Uint8Array | string, options: DelegateOptions = {}): Promise<void> {
  await run('GC', pluginType, bytesOf(netconf), options);
}

/**
 * STATUS through `pluginType`; rejects with the delegate's error (e.g. code 50).
 *
 * @example await delegateStatus(conf.ipam.type, args.stdinData, { env: args.env });
 */
export async function delegateStatus(pluginType: string, netconf: Uint8Array | string, options: DelegateOptions = {}): Promise<void> {
  await run('STATUS', pluginType, bytesOf(netconf), options);
}
