/**
 * A namespace's network state as the oracle tools print it (`ip -json`, `iptables-save`,
 * /proc/sys), reduced to what two runs of a plugin must agree on: random `veth` names, MACs
 * and the link-local IPv6 addresses derived from them are masked, since they differ between
 * any two runs. Differential tests compare the Go reference and tscni through it.
 */
import type { ScratchNetns } from '@tscni/netlink/testing/scratch-netns';

/** Random names (`veth` + 8 hex, the reference's temporary and host veth names) and MACs. */
const RANDOM = [
  [/veth[0-9a-f]{8}/g, 'veth*'],
  [/\b([0-9a-f]{2}:){5}[0-9a-f]{2}\b/g, 'mac*'],
] as const;

/**
 * Masks random names and MACs in any JSON-able value.
 *
 * @example masked({ name: 'veth88ac9740' }) // { name: 'veth*' }
 */
export function masked<T>(value: T): T {
  let text = JSON.stringify(value);
  for (const [re, by] of RANDOM) text = text.replace(re, by);
  return JSON.parse(text) as T;
}

interface IpLink {
  ifname: string;
  mtu: number;
  flags: string[];
  link?: string | null;
  master?: string;
  linkinfo?: { info_kind?: string; info_data?: Record<string, unknown> };
}

interface IpAddrInfo {
  family: string;
  local: string;
  prefixlen: number;
  scope: string;
  broadcast?: string;
}

export interface KernelState {
  links: { name: string; mtu: number; up: boolean; kind?: string; data?: Record<string, unknown>; parent?: string | null; master?: string }[];
  addresses: Record<string, { family: string; local: string; prefixlen: number; scope: string; broadcast?: string }[]>;
  routes: Record<string, unknown>[];
  sysctls: Record<string, string>;
  iptables: string[];
}

const json = <T>(ns: ScratchNetns, args: string[]): T => JSON.parse(ns.exec('ip', ['-json', ...args]) || '[]') as T;

/** iptables-save / ip6tables-save without its date comments and counters. */
function rules(ns: ScratchNetns, tool: string): string[] {
  return ns
    .exec(tool, [])
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.replace(/ \[\d+:\d+\]$/, ''));
}

/**
 * The namespace's links, addresses, routes (all tables, both families), the sysctls named
 * (`{if}` in a key stands for every link but lo) and both iptables dumps, masked.
 *
 * @example assert.deepEqual(kernelState(refHost, keys), kernelState(ourHost, keys))
 */
export function kernelState(ns: ScratchNetns, sysctlKeys: readonly string[] = []): KernelState {
  const links = json<IpLink[]>(ns, ['-d', 'link', 'show']);
  const addrs = json<{ ifname: string; addr_info: IpAddrInfo[] }[]>(ns, ['addr', 'show']);
  const routes = [...json<Record<string, unknown>[]>(ns, ['-4', 'route', 'show', 'table', 'all']), ...json<Record<string, unknown>[]>(ns, ['-6', 'route', 'show', 'table', 'all'])];
  const sysctls: Record<string, string> = {};
  for (const key of sysctlKeys) {
    const names = key.includes('{if}') ? links.filter((l) => l.ifname !== 'lo').map((l) => key.replace('{if}', l.ifname)) : [key];
    for (const name of names) sysctls[name] = ns.exec('cat', [`/proc/sys/${name}`]).trim();
  }
  return masked({
    links: links.map((l) => ({
      name: l.ifname,
      mtu: l.mtu,
      up: l.flags.includes('UP'),
      ...(l.linkinfo?.info_kind !== undefined ? { kind: l.linkinfo.info_kind } : {}),
      ...(l.linkinfo?.info_data !== undefined ? { data: l.linkinfo.info_data } : {}),
      ...(l.link !== undefined ? { parent: l.link } : {}),
      ...(l.master !== undefined ? { master: l.master } : {}),
    })),
    addresses: Object.fromEntries(
      addrs.map((a) => [
        a.ifname,
        a.addr_info
          .filter((i) => !i.local.startsWith('fe80:'))
          .map((i) => ({ family: i.family, local: i.local, prefixlen: i.prefixlen, scope: i.scope, ...(i.broadcast ? { broadcast: i.broadcast } : {}) })),
      ]),
    ),
    // Link-local routes carry MAC-derived addresses; the kernel makes them alike for any link.
    routes: routes.filter((r) => !String(r['dst']).startsWith('fe80:') && !String(r['dst']).startsWith('ff00:')),
    sysctls,
    iptables: [...rules(ns, 'iptables-save'), ...rules(ns, 'ip6tables-save')],
  });
}

/**
 * Waits (up to `ms`) until no address in the namespace is tentative: the kernel adds the local
 * route of an IPv6 address only after DAD, so two states compare only once both settled.
 *
 * @example waitForDad(host); kernelState(host)
 */
export function waitForDad(ns: ScratchNetns, ms = 5000): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!ns.exec('ip', ['addr', 'show']).includes('tentative')) return;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  }
}
