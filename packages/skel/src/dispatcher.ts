/**
 * The dispatcher: one plugin invocation from environment and stdin to exit code, following
 * the reference's skel step by step. It takes its process as plain values (PluginIO) so
 * tests and embedders can run it without spawning anything.
 *
 * Only what VERSION needs is imported up front; everything else is loaded on the path that
 * uses it.
 */
import { CniError, ErrorCode } from '@tscni/spec/errors';
import { decodeVersion, encodePluginInfo, greaterThanOrEqualTo, reconcileVersion } from '@tscni/spec/version';
import { readCmdEnv, type CmdEnv } from './cmd-env.js';
import type { Command, Handler, Handlers, PluginIO, PluginInfo } from './types.js';

/** The oldest config version each gated command accepts. */
const MIN_VERSION: Readonly<Record<'CHECK' | 'GC' | 'STATUS', string>> = { CHECK: '0.4.0', GC: '1.1.0', STATUS: '1.1.0' };

interface Invocation {
  io: PluginIO;
  env: CmdEnv;
  stdinData: Uint8Array;
  versions: readonly string[];
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The reference's checkVersionAndCall: exact version membership, then the handler. */
async function checkVersionAndCall(inv: Invocation, command: Command, handler: Handler<unknown> | undefined): Promise<CniError | undefined> {
  let configVersion: string;
  try {
    configVersion = decodeVersion(inv.stdinData);
  } catch (e) {
    return new CniError(ErrorCode.DecodingFailure, messageOf(e));
  }
  const incompatible = reconcileVersion(configVersion, inv.versions);
  if (incompatible) return incompatible.toCniError();
  if (!handler) return undefined;
  const [{ callHandler }, { createCmdArgs }] = await Promise.all([import('./call-handler.js'), import('./cmd-args.js')]);
  const { env } = inv;
  const args = createCmdArgs(command, {
    containerID: env.containerID,
    netns: env.netns,
    ifName: env.ifName,
    args: env.args,
    path: env.path,
    netnsOverride: env.netnsOverride,
    stdinData: inv.stdinData,
    env: inv.io.env,
  });
  return (await callHandler(command, handler, args, inv.io.stdout)).error;
}

/** ADD and DEL: the handler, then the check that CNI_NETNS is not the plugin's own netns. */
async function callThenCheckNetNS(inv: Invocation, command: 'ADD' | 'DEL', handler: Handler<unknown> | undefined): Promise<CniError | undefined> {
  const err = await checkVersionAndCall(inv, command, handler);
  if (err) return err;
  const { checkNetNS, netnsCheckOverridden } = await import('./netns-check.js');
  if (netnsCheckOverridden(inv.env.netnsOverride)) return undefined;
  return checkNetNS(inv.env.netns);
}

/** CHECK, GC and STATUS: refused for configs older than the command, and for plugins that only speak older versions. */
async function gatedCall(inv: Invocation, command: 'CHECK' | 'GC' | 'STATUS', handler: Handler<unknown> | undefined): Promise<CniError | undefined> {
  let configVersion: string;
  let allowed: boolean;
  try {
    configVersion = decodeVersion(inv.stdinData);
    allowed = greaterThanOrEqualTo(configVersion, MIN_VERSION[command]);
  } catch (e) {
    return new CniError(ErrorCode.DecodingFailure, messageOf(e));
  }
  if (!allowed) return new CniError(ErrorCode.IncompatibleCNIVersion, `config version does not allow ${command}`);
  for (const pluginVersion of inv.versions) {
    let newer: boolean;
    try {
      newer = greaterThanOrEqualTo(pluginVersion, configVersion);
    } catch (e) {
      return new CniError(ErrorCode.DecodingFailure, messageOf(e));
    }
    if (newer) return checkVersionAndCall(inv, command, handler);
  }
  return new CniError(ErrorCode.IncompatibleCNIVersion, `plugin version does not allow ${command}`);
}

async function dispatch(io: PluginIO, handlers: Handlers, info: PluginInfo): Promise<CniError | undefined> {
  const env = await readCmdEnv(io.env);
  if (env instanceof CniError) {
    if (env.code === ErrorCode.InvalidEnvironmentVariables && (io.env['CNI_COMMAND'] ?? '') === '' && info.about) {
      io.stderr.write(`${info.about}\n`);
      io.stderr.write(`CNI protocol versions supported: ${info.versions.join(', ')}\n`);
      return undefined;
    }
    return env;
  }
  if (env.command === 'VERSION') {
    try {
      io.stdout.write(encodePluginInfo(info.versions));
    } catch (e) {
      return new CniError(ErrorCode.IOFailure, messageOf(e));
    }
    return undefined;
  }

  let stdinData: Uint8Array;
  try {
    const { readAllStdin } = await import('./stdin.js');
    stdinData = await readAllStdin(io.stdin);
  } catch (e) {
    return new CniError(ErrorCode.IOFailure, `error reading from stdin: ${messageOf(e)}`);
  }
  const { checkNetworkName } = await import('./network-name.js');
  const badConfig = checkNetworkName(stdinData);
  if (badConfig) return badConfig;

  const inv: Invocation = { io, env, stdinData, versions: info.versions };
  switch (env.command) {
    case 'ADD':
      return callThenCheckNetNS(inv, 'ADD', handlers.add);
    case 'DEL':
      return callThenCheckNetNS(inv, 'DEL', handlers.del);
    case 'CHECK':
      return gatedCall(inv, 'CHECK', handlers.check);
    case 'GC':
      return gatedCall(inv, 'GC', handlers.gc);
    case 'STATUS':
      return gatedCall(inv, 'STATUS', handlers.status);
    default:
      return new CniError(ErrorCode.InvalidEnvironmentVariables, `unknown CNI_COMMAND: ${env.command}`);
  }
}

/**
 * Runs one plugin invocation against `io` and resolves to the exit code: 0, or 1 after the
 * error JSON (4-space indented, no trailing newline, no `cniVersion`) went to `io.stdout`.
 * Rejects only for a programming error: an empty `versions` list.
 *
 * @example
 *   let out = '';
 *   const code = await runPlugin(
 *     { env: { CNI_COMMAND: 'VERSION' }, stdin: '', stdout: { write: (s) => (out += s) }, stderr: process.stderr },
 *     {}, { versions: ['1.0.0', '1.1.0'] },
 *   );
 *   // code === 0, out === '{"cniVersion":"1.1.0","supportedVersions":["1.0.0","1.1.0"]}\n'
 */
export async function runPlugin(io: PluginIO, handlers: Handlers, info: PluginInfo): Promise<number> {
  if (info.versions.length === 0) throw new Error('programmer error: you must support at least one version');
  let err: CniError | undefined;
  try {
    err = await dispatch(io, handlers, info);
  } catch (e) {
    // A fault in the SDK or its streams still ends as error JSON, never as a stack trace.
    err = new CniError(ErrorCode.Internal, messageOf(e));
  }
  if (!err) return 0;
  io.stdout.write(err.print());
  return 1;
}
