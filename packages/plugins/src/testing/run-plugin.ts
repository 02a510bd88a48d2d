/**
 * Running a built plugin (dist/plugins) as a runtime would, for the plugins' tests.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

/**
 * dist/plugins of this checkout: `npm run build` (and so `npm test`) fills it. TSCNI_DIST
 * points at another build (`TSCNI_DIST=.dist-x node scripts/bundle.mjs`), as for the bundle.
 */
export const PLUGIN_DIR = join(repoRoot, process.env['TSCNI_DIST'] ?? 'dist', 'plugins');

/** The Go reference plugins from Debian's containernetworking-plugins. */
export const REFERENCE_DIR = '/usr/lib/cni';

export interface PluginCall {
  command: 'ADD' | 'DEL' | 'CHECK' | 'GC' | 'STATUS' | 'VERSION';
  config: object | string;
  containerID?: string;
  netns?: string;
  ifName?: string;
  args?: string;
  /** CNI_PATH; PLUGIN_DIR by default. */
  path?: string;
  env?: Record<string, string>;
  /**
   * Runs the plugin inside this named namespace (`ip netns exec`), which then is its "host":
   * bridges, host-side veths, rules and sysctls land there instead of the real host.
   */
  hostNetns?: string;
}

export interface PluginOutcome {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout parsed, when it is JSON. */
  json?: Record<string, unknown>;
}

/**
 * The environment a runtime gives a plugin for `call`: PATH and the CNI variables.
 *
 * @example spawn(join(PLUGIN_DIR, 'ptp'), [], { env: pluginEnv({ command: 'VERSION', config: {} }) })
 */
export function pluginEnv(call: PluginCall, dir = PLUGIN_DIR): NodeJS.ProcessEnv {
  return {
    PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    CNI_COMMAND: call.command,
    CNI_CONTAINERID: call.containerID ?? '',
    CNI_NETNS: call.netns ?? '',
    CNI_IFNAME: call.ifName ?? '',
    CNI_ARGS: call.args ?? '',
    CNI_PATH: call.path ?? dir,
    ...call.env,
  };
}

/** What a plugin run gave, with stdout parsed when it is JSON. @example pluginOutcome(0, '{}', '') */
export function pluginOutcome(code: number | null, stdout: string, stderr: string): PluginOutcome {
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(stdout) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { code, stdout, stderr, ...(json ? { json } : {}) };
}

/**
 * Execs `<dir>/<name>` with the CNI variables and the config on stdin.
 *
 * @example const r = runPlugin('loopback', { command: 'ADD', config, netns: ns.path, containerID: 'c1', ifName: 'lo' });
 */
export function runPlugin(name: string, call: PluginCall, dir = PLUGIN_DIR): PluginOutcome {
  const file = join(dir, name);
  if (!existsSync(file)) throw new Error(`${file} does not exist: run npm run build first`);
  const [cmd, argv] = call.hostNetns ? ['ip', ['netns', 'exec', call.hostNetns, file]] : [file, []];
  const r = spawnSync(cmd, argv, {
    input: typeof call.config === 'string' ? call.config : JSON.stringify(call.config),
    encoding: 'utf8',
    env: pluginEnv(call, dir),
  });
  return pluginOutcome(r.status, r.stdout, r.stderr);
}
