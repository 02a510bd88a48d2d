/**
 * The runtime side of CNI: running a network's plugins for ADD, CHECK, DEL, GC, STATUS
 * and VERSION, exactly as the reference's libcni CNIConfig does (order, request configs,
 * environment, result cache, error texts).
 */
import type { NetworkConfigList, PluginConfig } from '@tscni/spec/config';
import { goQuote } from '@tscni/spec/gojson';
import {
  RawExec,
  buildEnv,
  execPluginWithResult,
  execPluginWithoutResult,
  getVersionInfo,
  type Env,
  type Exec,
  type StderrSink,
} from '@tscni/spec/invoke';
import type { Result } from '@tscni/spec/result-types';
import { validateContainerID, validateInterfaceName, validateNetworkName } from '@tscni/spec/validate';
import { greaterThanOrEqualTo, type PluginInfo } from '@tscni/spec/version';
import { DEFAULT_CACHE_DIR, ResultCache } from './cache.js';
import { CheckNotSupportedError, wrapError } from './errors.js';
import { buildGCConfig, buildOneConfig, buildStatusConfig, pluginDescription } from './request-config.js';
import type { CachedConfig, CallOptions, GCArgs, NetworkAttachment, RuntimeConf } from './runtime-conf.js';

/** How a CNIConfig finds, runs and records plugins. */
export interface CNIConfigOptions {
  /** Directories searched for plugin executables, in order (also passed as CNI_PATH). */
  path: string[];
  /** Root of the result cache; default /var/lib/cni. */
  cacheDir?: string;
  /** What runs plugins; default: from disk (RawExec). Tests inject doubles here. */
  exec?: Exec;
  /** Where successful plugins' stderr goes when `exec` is not given; default process.stderr. */
  stderr?: StderrSink | null;
}

/** The empty RuntimeConf of commands that concern no attachment (GC, STATUS). */
const NO_ATTACHMENT: RuntimeConf = { containerID: '', netNS: '', ifName: '' };

/** Go's GreaterThanOrEqualTo with its parse error ignored (GC and STATUS gating). */
function atLeast(version: string, min: string): boolean {
  try {
    return greaterThanOrEqualTo(version, min);
  } catch {
    return false;
  }
}

/**
 * Runs CNI plugins for a container runtime.
 *
 * @example
 *   const cni = new CNIConfig({ path: ['/opt/cni/bin'] });
 *   const list = await loadNetworkConf('/etc/cni/net.d', 'mynet');
 *   const result = await cni.addNetworkList(list, { containerID: 'c1', netNS: '/run/netns/c1', ifName: 'eth0' });
 */
export class CNIConfig {
  readonly path: string[];
  readonly cacheDir: string;
  private readonly exec: Exec;
  private readonly cache: ResultCache;

  /** @example new CNIConfig({ path: ['/opt/cni/bin'], cacheDir: '/run/cni' }) */
  constructor(options: CNIConfigOptions) {
    this.path = options.path;
    this.cacheDir = options.cacheDir || DEFAULT_CACHE_DIR;
    this.exec = options.exec ?? new RawExec(options.stderr === undefined ? {} : { stderr: options.stderr });
    this.cache = new ResultCache(this.cacheDir);
  }

  private env(command: string, rt: RuntimeConf): Env {
    const args = { command, containerID: rt.containerID, netNS: rt.netNS, ifName: rt.ifName, path: this.path.join(':') };
    return buildEnv(rt.args ? { ...args, pluginArgs: rt.args } : args);
  }

  private invokeOptions(options: CallOptions): { exec: Exec; signal?: AbortSignal } {
    return options.signal ? { exec: this.exec, signal: options.signal } : { exec: this.exec };
  }

  private async addOne(name: string, cniVersion: string, net: PluginConfig, prevResult: Result | undefined, rt: RuntimeConf, options: CallOptions): Promise<Result> {
    const pluginPath = await this.exec.findInPath(net.network.type, this.path);
    const invalid = validateContainerID(rt.containerID) ?? validateNetworkName(name) ?? validateInterfaceName(rt.ifName);
    if (invalid) throw invalid;
    const conf = buildOneConfig(name, cniVersion, net, prevResult, rt);
    return execPluginWithResult(pluginPath, conf.bytes, this.env('ADD', rt), this.invokeOptions(options));
  }

  private async runOne(command: 'CHECK' | 'DEL', name: string, cniVersion: string, net: PluginConfig, prevResult: Result | undefined, rt: RuntimeConf, options: CallOptions): Promise<void> {
    const pluginPath = await this.exec.findInPath(net.network.type, this.path);
    const conf = buildOneConfig(name, cniVersion, net, prevResult, rt);
    await execPluginWithoutResult(pluginPath, conf.bytes, this.env(command, rt), this.invokeOptions(options));
  }

  /** The cached result for DEL: a record that cannot be read is dropped, not fatal. */
  private async cachedResultForDel(netName: string, cniVersion: string, rt: RuntimeConf): Promise<Result | undefined> {
    // prevResult on DEL exists from 0.4.0; a version that does not parse fails the DEL.
    if (!greaterThanOrEqualTo(cniVersion, '0.4.0')) return undefined;
    try {
      return await this.cache.getResult(netName, cniVersion, rt);
    } catch {
      await this.cache.del(netName, rt).catch(() => {});
      return undefined;
    }
  }

  private async cachedResultForCheck(netName: string, cniVersion: string, rt: RuntimeConf): Promise<Result | undefined> {
    if (!greaterThanOrEqualTo(cniVersion, '0.4.0')) throw new CheckNotSupportedError(cniVersion);
    try {
      return await this.cache.getResult(netName, cniVersion, rt);
    } catch (e) {
      throw wrapError(`failed to get network ${goQuote(netName)} cached result`, e);
    }
  }

  private async cacheAdd(result: Result | undefined, config: Uint8Array, netName: string, rt: RuntimeConf): Promise<void> {
    try {
      await this.cache.add(result, config, netName, rt);
    } catch (e) {
      throw wrapError(`failed to set network ${goQuote(netName)} cached result`, e);
    }
  }

  /**
   * ADD: runs the plugins in order, each getting the previous one's result as
   * `prevResult`, records the final result in the cache and returns it (in the version
   * the last plugin produced; undefined only for a list without plugins). Nothing is
   * cached, and no DEL is run, when a plugin fails.
   *
   * @example const result = await cni.addNetworkList(list, rt, { signal: AbortSignal.timeout(60_000) });
   */
  async addNetworkList(list: NetworkConfigList, rt: RuntimeConf, options: CallOptions = {}): Promise<Result | undefined> {
    let result: Result | undefined;
    for (const net of list.plugins) {
      try {
        result = await this.addOne(list.name, list.cniVersion, net, result, rt, options);
      } catch (e) {
        throw wrapError(`plugin ${pluginDescription(net.network)} failed (add)`, e);
      }
    }
    await this.cacheAdd(result, list.bytes, list.name, rt);
    return result;
  }

  /**
   * CHECK: runs the plugins in order with the cached ADD result as `prevResult`; the
   * first failure is returned as the plugin reported it. Refused before 0.4.0; does
   * nothing when the list sets `disableCheck`.
   *
   * @example await cni.checkNetworkList(list, rt);
   */
  async checkNetworkList(list: NetworkConfigList, rt: RuntimeConf, options: CallOptions = {}): Promise<void> {
    if (!greaterThanOrEqualTo(list.cniVersion, '0.4.0')) throw new CheckNotSupportedError(list.cniVersion);
    if (list.disableCheck) return;
    const cached = await this.cachedResultForCheck(list.name, list.cniVersion, rt);
    for (const net of list.plugins) await this.runOne('CHECK', list.name, list.cniVersion, net, cached, rt, options);
  }

  /**
   * DEL: runs the plugins in reverse order, each with the cached ADD result as
   * `prevResult` (from 0.4.0), then forgets the attachment. A missing or unreadable cache
   * record does not stop the DEL; a failing plugin leaves the record for a retry.
   *
   * @example await cni.delNetworkList(list, rt);
   */
  async delNetworkList(list: NetworkConfigList, rt: RuntimeConf, options: CallOptions = {}): Promise<void> {
    const cached = await this.cachedResultForDel(list.name, list.cniVersion, rt);
    for (let i = list.plugins.length - 1; i >= 0; i--) {
      const net = list.plugins[i]!;
      try {
        await this.runOne('DEL', list.name, list.cniVersion, net, cached, rt, options);
      } catch (e) {
        throw wrapError(`plugin ${pluginDescription(net.network)} failed (delete)`, e);
      }
    }
    await this.cache.del(list.name, rt).catch(() => {});
  }

  /**
   * The result recorded by the last ADD of this attachment, converted to the list's
   * version; undefined when there is none.
   *
   * @example const prev = await cni.getNetworkListCachedResult(list, rt);
   */
  async getNetworkListCachedResult(list: NetworkConfigList, rt: RuntimeConf, options: CallOptions = {}): Promise<Result | undefined> {
    options.signal?.throwIfAborted();
    return this.cache.getResult(list.name, list.cniVersion, rt);
  }

  /**
   * The config bytes and runtime parameters the attachment was added with; undefined when
   * not cached.
   *
   * @example const cached = await cni.getNetworkListCachedConfig(list, rt);
   */
  async getNetworkListCachedConfig(list: Pick<NetworkConfigList, 'name'>, rt: RuntimeConf, options: CallOptions = {}): Promise<CachedConfig | undefined> {
    options.signal?.throwIfAborted();
    return this.cache.getConfig(list.name, rt);
  }

  /**
   * ADD of a single plugin config (its own `name` and `cniVersion`); errors are not prefixed.
   *
   * @example const result = await cni.addNetwork(conf, rt);
   */
  async addNetwork(net: PluginConfig, rt: RuntimeConf, options: CallOptions = {}): Promise<Result> {
    const name = net.network.name ?? '';
    const result = await this.addOne(name, net.network.cniVersion ?? '', net, undefined, rt, options);
    await this.cacheAdd(result, net.bytes, name, rt);
    return result;
  }

  /**
   * CHECK of a single plugin config (no `disableCheck` at this level).
   *
   * @example await cni.checkNetwork(conf, rt);
   */
  async checkNetwork(net: PluginConfig, rt: RuntimeConf, options: CallOptions = {}): Promise<void> {
    const name = net.network.name ?? '';
    const version = net.network.cniVersion ?? '';
    const cached = await this.cachedResultForCheck(name, version, rt);
    await this.runOne('CHECK', name, version, net, cached, rt, options);
  }

  /**
   * DEL of a single plugin config; tolerant of a bad cache record like the list variant.
   *
   * @example await cni.delNetwork(conf, rt);
   */
  async delNetwork(net: PluginConfig, rt: RuntimeConf, options: CallOptions = {}): Promise<void> {
    const name = net.network.name ?? '';
    const version = net.network.cniVersion ?? '';
    const cached = await this.cachedResultForDel(name, version, rt);
    await this.runOne('DEL', name, version, net, cached, rt, options);
    await this.cache.del(name, rt).catch(() => {});
  }

  /**
   * The cached result of a single-plugin attachment, in the plugin config's version.
   *
   * @example const prev = await cni.getNetworkCachedResult(conf, rt);
   */
  async getNetworkCachedResult(net: PluginConfig, rt: RuntimeConf, options: CallOptions = {}): Promise<Result | undefined> {
    options.signal?.throwIfAborted();
    return this.cache.getResult(net.network.name ?? '', net.network.cniVersion ?? '', rt);
  }

  /**
   * The cached config and runtime parameters of a single-plugin attachment.
   *
   * @example const cached = await cni.getNetworkCachedConfig(conf, rt);
   */
  async getNetworkCachedConfig(net: PluginConfig, rt: RuntimeConf, options: CallOptions = {}): Promise<CachedConfig | undefined> {
    options.signal?.throwIfAborted();
    return this.cache.getConfig(net.network.name ?? '', rt);
  }

  /**
   * The attachments recorded in the cache, all or those of one container.
   *
   * @example const mine = await cni.getCachedAttachments('c1');
   */
  async getCachedAttachments(containerID = '', options: CallOptions = {}): Promise<NetworkAttachment[]> {
    options.signal?.throwIfAborted();
    return this.cache.attachments(containerID);
  }

  private async validatePlugin(pluginName: string, expectedVersion: string, options: CallOptions): Promise<void> {
    const pluginPath = await this.exec.findInPath(pluginName, this.path);
    const version = expectedVersion === '' ? '0.1.0' : expectedVersion;
    const info = await getVersionInfo(pluginPath, this.invokeOptions(options));
    if (!info.supportedVersions.includes(version)) {
      throw new Error(`plugin ${pluginName} does not support config version ${goQuote(version)}`);
    }
  }

  /**
   * Checks that every plugin exists and supports the list's exact version; returns the
   * capabilities the plugins enable. All failures are reported together.
   *
   * @example const caps = await cni.validateNetworkList(list); // ['portMappings']
   */
  async validateNetworkList(list: NetworkConfigList, options: CallOptions = {}): Promise<string[]> {
    const caps = new Set<string>();
    const errors: Error[] = [];
    for (const net of list.plugins) {
      try {
        await this.validatePlugin(net.network.type, list.cniVersion, options);
      } catch (e) {
        errors.push(e as Error);
      }
      for (const [cap, enabled] of Object.entries(net.network.capabilities ?? {})) if (enabled) caps.add(cap);
    }
    if (errors.length > 0) throw new AggregateError(errors, `[${errors.map((e) => e.message).join(' ')}]`);
    return [...caps];
  }

  /**
   * validateNetworkList for a single plugin config; its one error is returned as is.
   *
   * @example const caps = await cni.validateNetwork(conf);
   */
  async validateNetwork(net: PluginConfig, options: CallOptions = {}): Promise<string[]> {
    const caps = Object.entries(net.network.capabilities ?? {})
      .filter(([, enabled]) => enabled)
      .map(([cap]) => cap);
    await this.validatePlugin(net.network.type, net.network.cniVersion ?? '', options);
    return caps;
  }

  /**
   * The spec versions a plugin supports (VERSION).
   *
   * @example (await cni.getVersionInfo('bridge')).supportedVersions
   */
  async getVersionInfo(pluginType: string, options: CallOptions = {}): Promise<PluginInfo> {
    const pluginPath = await this.exec.findInPath(pluginType, this.path);
    return getVersionInfo(pluginPath, this.invokeOptions(options));
  }

  /**
   * GC: runs DEL for every cached attachment of this network that `args` does not list as
   * valid (all of them without `args`), then, from 1.1.0, sends GC to every plugin with the
   * valid list. Does nothing when the list sets `disableGC`. Failures do not stop it; they
   * are reported together, one per line.
   *
   * @example await cni.gcNetworkList(list, { validAttachments: [{ containerID: 'c1', ifname: 'eth0' }] });
   */
  async gcNetworkList(list: NetworkConfigList, args?: GCArgs, options: CallOptions = {}): Promise<void> {
    if (list.disableGC) return;
    let cached: NetworkAttachment[];
    try {
      cached = await this.cache.attachments('');
    } catch {
      // An unreadable cache makes the whole GC a no-op, as in the reference.
      return;
    }
    const valid = new Set((args?.validAttachments ?? []).map((a) => JSON.stringify([a.containerID, a.ifname])));
    const errors: Error[] = [];
    for (const a of cached) {
      if (a.network !== list.name || valid.has(JSON.stringify([a.containerID, a.ifName]))) continue;
      const rt: RuntimeConf = { containerID: a.containerID, netNS: a.netNS ?? '', ifName: a.ifName };
      if (a.cniArgs) rt.args = a.cniArgs;
      if (a.capabilityArgs) rt.capabilityArgs = a.capabilityArgs;
      try {
        await this.delNetworkList(list, rt, options);
      } catch (e) {
        errors.push(wrapError(`failed to delete stale attachment ${rt.containerID} ${rt.ifName}`, e));
      }
    }
    if (atLeast(list.cniVersion, '1.1.0')) {
      for (const plugin of list.plugins) {
        let conf: PluginConfig;
        try {
          conf = buildGCConfig(list.name, list.cniVersion, plugin, args ? (args.validAttachments ?? null) : undefined);
        } catch (e) {
          errors.push(wrapError(`failed to generate configuration to GC plugin ${plugin.network.type}`, e));
          continue;
        }
        try {
          const pluginPath = await this.exec.findInPath(conf.network.type, this.path);
          await execPluginWithoutResult(pluginPath, conf.bytes, this.env('GC', NO_ATTACHMENT), this.invokeOptions(options));
        } catch (e) {
          errors.push(wrapError(`failed to GC plugin ${plugin.network.type}`, e));
        }
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, errors.map((e) => e.message).join('\n'));
  }

  /**
   * STATUS: asks each plugin in order whether it can serve ADD; the first error is
   * returned unwrapped (a CniError with code 50 or 51 says "not available") and later
   * plugins are not asked. Before 1.1.0 nothing is run.
   *
   * @example await cni.getStatusNetworkList(list).catch((e) => e.code === 50 && markNotReady());
   */
  async getStatusNetworkList(list: NetworkConfigList, options: CallOptions = {}): Promise<void> {
    if (!atLeast(list.cniVersion, '1.1.0')) return;
    for (const plugin of list.plugins) {
      let conf: PluginConfig;
      try {
        conf = buildStatusConfig(list.name, list.cniVersion, plugin);
      } catch (e) {
        throw wrapError(`failed to generate configuration to get plugin STATUS ${plugin.network.type}`, e);
      }
      const pluginPath = await this.exec.findInPath(conf.network.type, this.path);
      await execPluginWithoutResult(pluginPath, conf.bytes, this.env('STATUS', NO_ATTACHMENT), this.invokeOptions(options));
    }
  }
}
