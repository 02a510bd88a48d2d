/**
 * The configuration each plugin receives on stdin, derived from its plugin object as
 * libcni's buildOneConfig/InjectConf/injectRuntimeConfig do: `name` and `cniVersion`
 * forced to the network's, `prevResult` and `runtimeConfig` added when applicable, keys
 * sorted and compact.
 */
import { injectConf, type PluginConf, type PluginConfig } from '@tscni/spec/config';
import { RawJson, goMarshal, goQuote } from '@tscni/spec/gojson';
import { resultToJSON } from '@tscni/spec/result-print';
import type { Result } from '@tscni/spec/result-types';
import type { RuntimeConf } from './runtime-conf.js';

/** A result in the bytes its own marshaller gives (0.x keeps struct order, 1.x is sorted). */
function resultJSON(result: Result): RawJson {
  return new RawJson(goMarshal(resultToJSON(result)));
}

/**
 * The `runtimeConfig` a plugin gets: the capability arguments it declares (with `true`) and
 * the runtime provides, a `null` value included. Undefined when nothing matches.
 *
 * @example runtimeConfigFor({ type: 'portmap', capabilities: { portMappings: true } }, { portMappings: [] }) // { portMappings: [] }
 */
export function runtimeConfigFor(plugin: PluginConf, capabilityArgs: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  const rc: Record<string, unknown> = {};
  for (const [capability, supported] of Object.entries(plugin.capabilities ?? {})) {
    if (supported !== true || !capabilityArgs) continue;
    if (Object.prototype.hasOwnProperty.call(capabilityArgs, capability)) rc[capability] = capabilityArgs[capability];
  }
  return Object.keys(rc).length > 0 ? rc : undefined;
}

/**
 * The request config for ADD, CHECK or DEL. `capabilities` is left in place, as the
 * reference leaves it.
 *
 * @example buildOneConfig('mynet', '1.1.0', list.plugins[1], prevResult, rt).bytes
 */
export function buildOneConfig(name: string, cniVersion: string, orig: PluginConfig, prevResult: Result | undefined, rt: RuntimeConf | undefined): PluginConfig {
  const values: Record<string, unknown> = { name, cniVersion };
  if (prevResult) values['prevResult'] = resultJSON(prevResult);
  let conf = injectConf(orig, values);
  if (rt) {
    const rc = runtimeConfigFor(conf.network, rt.capabilityArgs);
    if (rc) conf = injectConf(conf, { runtimeConfig: rc });
  }
  return conf;
}

/**
 * The request config for STATUS: only `name` and `cniVersion` injected.
 *
 * @example buildStatusConfig(list.name, list.cniVersion, list.plugins[0])
 */
export function buildStatusConfig(name: string, cniVersion: string, orig: PluginConfig): PluginConfig {
  return injectConf(orig, { name, cniVersion });
}

/**
 * The request config for GC: `name`, `cniVersion` and, when the runtime said which
 * attachments are valid, that list under both `cni.dev/valid-attachments` and the spec's
 * earlier misspelling `cni.dev/attachments` (`null` for an absent list, as the reference).
 *
 * @example buildGCConfig('mynet', '1.1.0', plugin, [{ containerID: 'c1', ifname: 'eth0' }])
 */
export function buildGCConfig(
  name: string,
  cniVersion: string,
  orig: PluginConfig,
  validAttachments: { containerID: string; ifname: string }[] | null | undefined,
): PluginConfig {
  const values: Record<string, unknown> = { name, cniVersion };
  if (validAttachments !== undefined) {
    const list = new RawJson(
      validAttachments === null ? 'null' : goMarshal(validAttachments.map((a) => ({ containerID: a.containerID, ifname: a.ifname }))),
    );
    values['cni.dev/valid-attachments'] = list;
    values['cni.dev/attachments'] = list;
  }
  return injectConf(orig, values);
}

/**
 * How errors name a plugin: `type="bridge"`, plus ` name="x"` when the plugin object
 * has its own name.
 *
 * @example pluginDescription({ type: 'noop' }) // 'type="noop"'
 */
export function pluginDescription(plugin: PluginConf | undefined): string {
  if (!plugin) return '<missing>';
  let out = `type=${goQuote(plugin.type)}`;
  if (plugin.name) out += ` name=${goQuote(plugin.name)}`;
  return out;
}
