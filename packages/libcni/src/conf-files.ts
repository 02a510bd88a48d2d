/**
 * Loading network configurations from a directory exactly as the reference's libcni/conf.go:
 * `.conflist` files first (with plugins from the `<dir>/<network>/` subfolder appended),
 * then the legacy single-plugin `.conf`/`.json` files, never recursing.
 */
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { compareGoStrings } from '@tscni/spec/gojson';
import {
  confFromBytes,
  confListFromConf,
  networkConfFromBytes,
  pluginConfFromBytes,
  type NetworkConfigList,
  type PluginConfig,
} from '@tscni/spec/config';
import { NoConfigsFoundError, NotFoundError } from './errors.js';
import { goPathErrorText, isNotExist } from './fs-errors.js';

/** Go's filepath.Ext: from the last dot of the name, a leading dot included. */
function goExt(name: string): string {
  const i = name.lastIndexOf('.');
  return i < 0 ? '' : name.slice(i);
}

/**
 * The files (not directories) directly in `dir` whose extension is exactly one of
 * `extensions`, sorted by name; a missing `dir` gives an empty list.
 *
 * @example await confFiles('/etc/cni/net.d', ['.conflist']) // ['/etc/cni/net.d/10-bridge.conflist']
 */
export async function confFiles(dir: string, extensions: readonly string[]): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    if (isNotExist(e)) return [];
    throw new Error(goPathErrorText(e, dir), { cause: e });
  }
  return entries
    .filter((d) => !d.isDirectory())
    .map((d) => d.name)
    .sort(compareGoStrings)
    .filter((name) => extensions.includes(goExt(name)))
    .map((name) => join(dir, name));
}

async function readConfigFile(filename: string): Promise<Uint8Array> {
  try {
    return await readFile(filename);
  } catch (e) {
    throw new Error(`error reading ${filename}: ${goPathErrorText(e, filename)}`, { cause: e });
  }
}

/**
 * The plugin configurations in `<networkConfPath>/<networkName>/*.conf`, sorted by file
 * name. They need no `name` or `cniVersion`: those are injected when the plugin runs.
 *
 * @example await networkPluginConfsFromFiles('/etc/cni/net.d', 'mynet')
 */
export async function networkPluginConfsFromFiles(networkConfPath: string, networkName: string): Promise<PluginConfig[]> {
  const pluginConfPath = join(networkConfPath, networkName);
  let files: string[];
  try {
    files = await confFiles(pluginConfPath, ['.conf']);
  } catch (e) {
    throw new Error(`failed to read plugin config files in ${pluginConfPath}: ${(e as Error).message}`, { cause: e });
  }
  const confs: PluginConfig[] = [];
  for (const file of files) confs.push(pluginConfFromBytes(await readConfigFile(file)));
  return confs;
}

/**
 * Reads a `.conflist` file, appending the subfolder plugins unless the list sets
 * `loadOnlyInlinedPlugins`. The list's `bytes` stay the file's own bytes.
 *
 * @example const list = await networkConfFromFile('/etc/cni/net.d/10-mynet.conflist');
 */
export async function networkConfFromFile(filename: string): Promise<NetworkConfigList> {
  const conf = networkConfFromBytes(await readConfigFile(filename));
  if (!conf.loadOnlyInlinedPlugins) {
    conf.plugins.push(...(await networkPluginConfsFromFiles(dirname(filename), conf.name)));
  }
  if (conf.plugins.length === 0) throw new Error('no plugin configs found');
  return conf;
}

/** Alias of networkConfFromFile (the reference keeps both names). */
export const confListFromFile = networkConfFromFile;

/**
 * Reads a legacy single-plugin `.conf`/`.json` file. Deprecated format, still loadable.
 *
 * @example const conf = await confFromFile('/etc/cni/net.d/10-old.conf');
 */
export async function confFromFile(filename: string): Promise<PluginConfig> {
  return confFromBytes(await readConfigFile(filename));
}

/**
 * Finds the legacy single-plugin config named `name` in `dir` (deprecated format).
 *
 * @example const conf = await loadConf('/etc/cni/net.d', 'old-net');
 */
export async function loadConf(dir: string, name: string): Promise<PluginConfig> {
  const files = await confFiles(dir, ['.conf', '.json']);
  if (files.length === 0) throw new NoConfigsFoundError(dir);
  for (const file of files.sort(compareGoStrings)) {
    const conf = await confFromFile(file);
    if (conf.network.name === name) return conf;
  }
  throw new NotFoundError(dir, name);
}

/**
 * Finds the network named `name` in `dir`: the first matching `.conflist` (any file that
 * fails to load aborts the search), else a matching legacy file up-converted to a list.
 *
 * @example const list = await loadNetworkConf('/etc/cni/net.d', 'mynet');
 */
export async function loadNetworkConf(dir: string, name: string): Promise<NetworkConfigList> {
  const files = (await confFiles(dir, ['.conflist'])).sort(compareGoStrings);
  for (const file of files) {
    const conf = await networkConfFromFile(file);
    if (conf.name === name) return conf;
  }
  let single: PluginConfig;
  try {
    single = await loadConf(dir, name);
  } catch (e) {
    // Lists exist but none matched: "not found" says more than "no configs".
    if (files.length !== 0 && e instanceof NoConfigsFoundError) throw new NotFoundError(dir, name);
    throw e;
  }
  return confListFromConf(single);
}

/** Alias of loadNetworkConf (its older name). */
export const loadConfList = loadNetworkConf;
