/**
 * Every plugin tscni ships, by the name it is installed and invoked under. What VERSION needs
 * (the versions and the about text) is here; the plugin's code is imported only when a
 * command other than VERSION runs.
 */
import type { Handlers, PluginInfo } from '@tscni/skel';

/** What a plugin's module exports. */
export interface PluginModule {
  handlers: Handlers;
}

/** A long-running program behind a plugin name (`dhcp daemon`): it gets the arguments after its name and gives the exit code. */
export interface SubcommandModule {
  run: (argv: readonly string[]) => Promise<number>;
}

export interface PluginEntry {
  info: PluginInfo;
  load: () => Promise<PluginModule>;
  /** Programs run as `<plugin> <subcommand> [args]` instead of the CNI protocol. */
  subcommands?: Readonly<Record<string, () => Promise<SubcommandModule>>>;
}

/** Every spec version (the reference plugins' version.All). */
export const ALL_VERSIONS: readonly string[] = ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'];

/** The about text, printed with the versions when a plugin runs without CNI_COMMAND. */
export const about = (name: string): string => `CNI ${name} plugin (tscni)`;

/**
 * @example PLUGINS['bridge']?.load()
 */
export const PLUGINS: Readonly<Record<string, PluginEntry>> = {
  // One line per plugin, in name order.
  'host-device': { info: { versions: ALL_VERSIONS, about: about('host-device') }, load: () => import('./main/host-device/index.js') },
  'host-local': { info: { versions: ALL_VERSIONS, about: about('host-local') }, load: () => import('./ipam/host-local/index.js') },
  bandwidth: { info: { versions: ALL_VERSIONS.slice(ALL_VERSIONS.indexOf('0.3.0')), about: about('bandwidth') }, load: () => import('./meta/bandwidth/index.js') },
  bridge: { info: { versions: ALL_VERSIONS, about: about('bridge') }, load: () => import('./main/bridge/index.js') },
  dhcp: { info: { versions: ALL_VERSIONS, about: about('dhcp') }, load: () => import('./ipam/dhcp/index.js'), subcommands: { daemon: () => import('./ipam/dhcp/daemon/command.js') } },
  dummy: { info: { versions: ALL_VERSIONS, about: about('dummy') }, load: () => import('./main/dummy/index.js') },
  firewall: { info: { versions: ALL_VERSIONS.slice(ALL_VERSIONS.indexOf('0.4.0')), about: about('firewall') }, load: () => import('./meta/firewall/index.js') },
  flannel: { info: { versions: ALL_VERSIONS, about: about('flannel') }, load: () => import('./meta/flannel/index.js') },
  ipvlan: { info: { versions: ALL_VERSIONS, about: about('ipvlan') }, load: () => import('./main/ipvlan/index.js') },
  loopback: { info: { versions: ALL_VERSIONS, about: about('loopback') }, load: () => import('./main/loopback/index.js') },
  macvlan: { info: { versions: ALL_VERSIONS, about: about('macvlan') }, load: () => import('./main/macvlan/index.js') },
  portmap: { info: { versions: ALL_VERSIONS, about: about('portmap') }, load: () => import('./meta/portmap/index.js') },
  ptp: { info: { versions: ALL_VERSIONS, about: about('ptp') }, load: () => import('./main/ptp/index.js') },
  sbr: { info: { versions: ALL_VERSIONS, about: about('sbr') }, load: () => import('./meta/sbr/index.js') },
  static: { info: { versions: ALL_VERSIONS, about: about('static') }, load: () => import('./ipam/static/index.js') },
  tap: { info: { versions: ALL_VERSIONS, about: about('tap') }, load: () => import('./main/tap/index.js') },
  tuning: { info: { versions: ALL_VERSIONS, about: about('tuning') }, load: () => import('./meta/tuning/index.js') },
  vlan: { info: { versions: ALL_VERSIONS, about: about('vlan') }, load: () => import('./main/vlan/index.js') },
  vrf: { info: { versions: ALL_VERSIONS.slice(ALL_VERSIONS.indexOf('0.3.1')), about: about('vrf') }, load: () => import('./meta/vrf/index.js') },
};

/** The names of all plugins, sorted. */
export function pluginNames(): string[] {
  return Object.keys(PLUGINS).sort();
}
