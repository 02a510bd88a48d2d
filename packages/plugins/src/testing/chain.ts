/**
 * Running a plugin chain (a conflist) inside a sandbox the way libcni does, for the tests of
 * chained (meta) plugins: ADD and CHECK in order, DEL in reverse, each plugin's config built
 * from the list's name and cniVersion, the previous result, and the runtime config of the
 * capabilities it declares.
 */
import type { Sandbox } from './sandbox.js';
import type { PluginOutcome } from './run-plugin.js';

export interface ChainList {
  name: string;
  cniVersion: string;
  plugins: Record<string, unknown>[];
}

export interface ChainCall {
  command: 'ADD' | 'CHECK' | 'DEL';
  /** Capability arguments (`portMappings`, `bandwidth`, ...) offered to the plugins that declare them. */
  runtimeConfig?: Record<string, unknown>;
  /** The chain's cached ADD result: the prevResult of CHECK and DEL (DEL may omit it). */
  prevResult?: Record<string, unknown>;
  containerID?: string;
  ifName?: string;
  args?: string;
  netns?: string;
  /** Runs the Go reference plugin for every plugin (true) or for the named ones. */
  reference?: boolean | readonly string[];
}

export interface ChainOutcome {
  /** Each plugin's outcome, in the order they ran; the last one failed when `ok` is false. */
  steps: { type: string; config: Record<string, unknown>; outcome: PluginOutcome }[];
  ok: boolean;
  /** The last plugin's parsed result (ADD), or undefined. */
  result?: Record<string, unknown>;
}

/**
 * The config one plugin of the list receives (libcni's buildOneConfig).
 *
 * @example pluginConfig(list, 1, { portMappings: [] }, prev)
 */
export function pluginConfig(
  list: ChainList,
  index: number,
  runtimeConfig: Record<string, unknown> | undefined,
  prevResult: Record<string, unknown> | undefined,
): Record<string, unknown> {
  const plugin = list.plugins[index]!;
  const conf: Record<string, unknown> = { ...plugin, name: list.name, cniVersion: list.cniVersion };
  const caps = (plugin['capabilities'] ?? {}) as Record<string, unknown>;
  const rc: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(runtimeConfig ?? {})) if (caps[k] === true) rc[k] = v;
  if (Object.keys(rc).length > 0) conf['runtimeConfig'] = rc;
  if (prevResult) conf['prevResult'] = prevResult;
  return conf;
}

/**
 * @example const add = runChain(sb, list, { command: 'ADD' }); runChain(sb, list, { command: 'DEL', prevResult: add.result })
 */
export function runChain(sb: Sandbox, list: ChainList, call: ChainCall): ChainOutcome {
  const order = list.plugins.map((_, i) => i);
  if (call.command === 'DEL') order.reverse();
  const steps: ChainOutcome['steps'] = [];
  let prev = call.prevResult;
  for (const i of order) {
    const type = String(list.plugins[i]!['type']);
    const config = pluginConfig(list, i, call.runtimeConfig, prev);
    const reference = call.reference === true || (Array.isArray(call.reference) && call.reference.includes(type));
    const outcome = sb.run(
      type,
      {
        command: call.command,
        config,
        ...(call.containerID !== undefined ? { containerID: call.containerID } : {}),
        ...(call.ifName !== undefined ? { ifName: call.ifName } : {}),
        ...(call.args !== undefined ? { args: call.args } : {}),
        ...(call.netns !== undefined ? { netns: call.netns } : {}),
      },
      reference,
    );
    steps.push({ type, config, outcome });
    if (outcome.code !== 0) return { steps, ok: false };
    if (call.command === 'ADD') prev = outcome.json;
  }
  return { steps, ok: true, ...(call.command === 'ADD' && prev ? { result: prev } : {}) };
}
