/**
 * Runs a parsed cnitool invocation against the runtime library.
 */
import { dirname, join, resolve } from 'node:path';
import { CNIConfig, DEFAULT_CACHE_DIR, loadNetworkConf, type RuntimeConf } from '@tscni/libcni';
import { splitCniPath } from '@tscni/spec/invoke';
import { CniError, findCniError } from '@tscni/spec/errors';
import { printResult } from '@tscni/spec/result-print';
import { installPlugins, installSea, SERVER } from './install.js';
import {
  USAGE,
  containerIDForNetns,
  parseCapArgs,
  parseCnitoolArgs,
  type Invocation,
} from './cli.js';

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export type Env = Readonly<Record<string, string | undefined>>;

const DEFAULT_NETCONFPATH = '/etc/cni/net.d';

/**
 * The built plugins to install: TSCNI_PLUGIN_SOURCE, else `plugins/` beside the running
 * cnitool (dist/cnitool and dist/plugins are built together).
 */
function pluginSource(env: Env): string {
  return env['TSCNI_PLUGIN_SOURCE'] || join(dirname(resolve(process.argv[1] ?? '.')), 'plugins');
}

/** The single-executable build to install: TSCNI_SEA_SOURCE, else `sea/` beside the running cnitool. */
function seaSource(env: Env): string {
  return env['TSCNI_SEA_SOURCE'] || join(dirname(resolve(process.argv[1] ?? '.')), 'sea');
}

/** One readable line for a failure: the CNI code when there is one, then the message. */
export function describeError(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  const code = findCniError(e)?.code;
  return code ? `error (code ${code}): ${message}` : `error: ${message}`;
}

function errorJSON(e: unknown): string {
  return (findCniError(e) ?? new CniError(0, e instanceof Error ? e.message : String(e))).print();
}

/**
 * Runs one invocation; returns the exit code.
 *
 * @example await runInvocation({ kind: 'version', plugin: 'bridge', json: true }, process.env, io)
 */
export async function runInvocation(inv: Invocation, env: Env, io: Io, signal?: AbortSignal): Promise<number> {
  if (inv.kind === 'help') {
    io.stdout(USAGE);
    return 0;
  }
  if (inv.kind === 'install') {
    try {
      const target = resolve(inv.dir);
      const names = inv.sea ? installSea({ source: seaSource(env), target }) : installPlugins({ source: pluginSource(env), target });
      // tscni-server is installed beside the plugins but is none.
      const plugins = names.filter((n) => n !== SERVER);
      const server = plugins.length < names.length ? ` (and ${SERVER})` : '';
      io.stdout(`installed ${plugins.length} ${inv.sea ? 'single-executable ' : ''}plugins into ${target}: ${plugins.join(', ')}${server}\n`);
      return 0;
    } catch (e) {
      io.stderr(`cnitool: ${describeError(e)}\n`);
      return 1;
    }
  }
  const json = inv.json;
  try {
    const cni = new CNIConfig({ path: splitCniPath(env['CNI_PATH']), cacheDir: env['CNI_CACHE_DIR'] || DEFAULT_CACHE_DIR });
    const opts = signal ? { signal } : {};
    if (inv.kind === 'version') {
      const info = await cni.getVersionInfo(inv.plugin, opts);
      io.stdout(json ? `${JSON.stringify(info)}\n` : `${inv.plugin}: CNI protocol versions supported: ${info.supportedVersions.join(', ')}\n`);
      return 0;
    }
    const list = await loadNetworkConf(env['NETCONFPATH'] || DEFAULT_NETCONFPATH, inv.network);
    // The reference reads CAP_ARGS before CNI_ARGS, so that is the error reported when both are bad.
    const capabilityArgs = parseCapArgs(env['CAP_ARGS']);
    const netns = resolve(inv.netns);
    const rt: RuntimeConf = {
      containerID: containerIDForNetns(netns),
      netNS: netns,
      ifName: inv.ifName,
      args: parseCnitoolArgs(env['CNI_ARGS']),
    };
    if (capabilityArgs) rt.capabilityArgs = capabilityArgs;
    switch (inv.command) {
      case 'add': {
        const result = await cni.addNetworkList(list, rt, opts);
        // A list always has plugins once loaded, so there is always a result to print.
        if (result) io.stdout(printResult(result));
        return 0;
      }
      case 'check':
        await cni.checkNetworkList(list, rt, opts);
        return 0;
      case 'del':
        await cni.delNetworkList(list, rt, opts);
        return 0;
      case 'gc':
        // The reference passes no valid attachments: every cached attachment is stale.
        await cni.gcNetworkList(list, undefined, opts);
        return 0;
      case 'status':
        await cni.getStatusNetworkList(list, opts);
        return 0;
    }
  } catch (e) {
    if (json) io.stdout(errorJSON(e));
    else io.stderr(`cnitool: ${describeError(e)}\n`);
    return 1;
  }
}
