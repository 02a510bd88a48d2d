/**
 * The VRF work inside the container (reference §4.6, vrf.go): find or make the VRF, enslave
 * the interface while keeping what enslaving takes away (the kernel cycles the link, so IPv6
 * addresses go unless keep_addr_on_down is set, and the link's main-table routes go), release
 * it again. Messages are the reference's.
 */
import { addAddr, listAddrs, type Address } from '@tscni/netlink/rtnl/addr';
import { isNotFound } from '@tscni/netlink/rtnl/errors';
import { createLink, deleteLink, getLink, listLinks, setLinkMaster, setLinkNoMaster, setLinkUp, type Link } from '@tscni/netlink/rtnl/link';
import { listRoutes, replaceRoute } from '@tscni/netlink/rtnl/route';
import { RTM_F_CLONED, RT_TABLE_MAIN } from '@tscni/netlink/rtnl/route-consts';
import type { Route } from '@tscni/netlink/rtnl/route-msg';
import type { RtnlSocket } from '@tscni/netlink/rtnl/socket';
import { kernelWords } from '../../net/kernel-words.js';
import { settleAddressesSync } from '../../net/settle.js';
import { sleepSync } from '../../net/sleep.js';

const RT_SCOPE_UNIVERSE = 0;
/** How long routes with an IPv6 preferred source wait for DAD (ConfigureIface's settle time). */
const SETTLE_MS = 5000;

/** A VRF device: its link and routing table. */
export interface Vrf {
  index: number;
  name: string;
  table: number;
}

function asVrf(link: Link): Vrf | undefined {
  return link.info?.kind === 'vrf' ? { index: link.index, name: link.name, table: link.info.table } : undefined;
}

/**
 * The VRF named `name`, or undefined when no link has that name; a link of another kind is
 * the reference's error.
 *
 * @example findVrf(rt, 'blue')?.table
 */
export function findVrf(rt: RtnlSocket, name: string): Vrf | undefined {
  let link: Link;
  try {
    link = getLink(rt, name);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
  const vrf = asVrf(link);
  if (!vrf) throw new Error(`Netlink ${name} is not a VRF`);
  return vrf;
}

/**
 * The lowest table from 1 on that no VRF of the namespace uses (reference quirk 16: tables
 * of rules and routes that are not VRFs' are not looked at).
 *
 * @example freeVrfTable(listLinks(rt)) // 1 without VRFs
 */
export function freeVrfTable(links: readonly Link[]): number {
  const taken = new Set(links.flatMap((l) => (l.info?.kind === 'vrf' ? [l.info.table] : [])));
  let table = 1;
  while (taken.has(table)) table++;
  return table;
}

/**
 * Makes the VRF (with the lowest free table when `table` is 0) and sets it up.
 *
 * @example createVrf(rt, 'blue', 0).table // 1
 */
export function createVrf(rt: RtnlSocket, name: string, table: number): Vrf {
  const id = table !== 0 ? table : freeVrfTable(listLinks(rt));
  try {
    createLink(rt, { name, info: { kind: 'vrf', table: id } });
  } catch (e) {
    throw new Error(`could not add VRF ${name}: ${kernelWords(e)}`, { cause: e });
  }
  const vrf = asVrf(getLink(rt, name))!;
  try {
    setLinkUp(rt, vrf.index);
  } catch (e) {
    deleteLink(rt, vrf.index);
    throw new Error(`could not set link up for VRF ${name}: ${kernelWords(e)}`, { cause: e });
  }
  return vrf;
}

/** The links whose master is the VRF. */
export function vrfPorts(rt: RtnlSocket, vrf: Vrf): Link[] {
  return listLinks(rt).filter((l) => l.masterIndex === vrf.index);
}

function globalIPv6(rt: RtnlSocket, index: number): Address[] {
  return listAddrs(rt, { link: index, family: 6 }).filter((a) => a.scope === RT_SCOPE_UNIVERSE);
}

/** Go's Route String, as the reference's "could not add route" message prints it. */
function goRoute(r: Route): string {
  const dst = r.dst === '0.0.0.0/0' || r.dst === '::/0' ? '<nil>' : r.dst;
  return `{Ifindex: ${r.oif ?? 0} Dst: ${dst} Src: ${r.prefsrc ?? '<nil>'} Gw: ${r.gateway ?? '<nil>'} Flags: [] Table: ${r.table} Realm: 0}`;
}

/** What enslaving took from the interface, to give back when the ADD is undone. */
export interface Enslaved {
  link: Link;
  addresses: Address[];
  routes: Route[];
}

/**
 * Enslaves `ifName` to the VRF: its global IPv6 addresses are put back if enslaving dropped
 * them (waiting, as the reference does, about 2.5 s at most for each one's local route in the
 * VRF's table), and its main-table routes of universe scope are replayed into that table.
 *
 * @example const taken = enslave(rt, vrf, 'eth0')
 */
export function enslave(rt: RtnlSocket, vrf: Vrf, ifName: string): Enslaved {
  let link: Link;
  try {
    link = getLink(rt, ifName);
  } catch (e) {
    throw new Error(`could not get link by name ${ifName}`, { cause: e });
  }
  if (link.masterIndex !== undefined && link.masterIndex !== 0) {
    let master: string;
    try {
      master = getLink(rt, link.masterIndex).name;
    } catch (e) {
      throw new Error(`interface ${ifName} has already a master set, could not retrieve the name: ${kernelWords(e)}`, { cause: e });
    }
    throw new Error(`interface ${ifName} has already a master set: ${master}`);
  }
  const addresses = globalIPv6(rt, link.index);
  // Local and connected routes the kernel makes again in the VRF's table; the rest it drops.
  const routes = listRoutes(rt, { table: RT_TABLE_MAIN }).filter(
    (r) => r.oif === link.index && r.multipath === undefined && r.scope === RT_SCOPE_UNIVERSE && (r.flags & RTM_F_CLONED) === 0,
  );
  const taken: Enslaved = { link, addresses, routes };
  try {
    setLinkMaster(rt, link.index, vrf.index);
  } catch (e) {
    throw new Error(`could not set vrf ${vrf.name} as master of ${ifName}: ${kernelWords(e)}`, { cause: e });
  }
  try {
    restoreAddresses(rt, vrf, ifName, taken);
    // Enslaving cycled the link, so kept IPv6 addresses are tentative again, and the kernel
    // refuses a tentative address as a route's preferred source.
    if (routes.some((r) => r.family === 6 && r.prefsrc !== undefined)) settleAddressesSync(rt, ifName, SETTLE_MS);
    for (const r of routes) {
      const copy = { ...r, table: vrf.table, flags: 0 };
      try {
        replaceRoute(rt, copy);
      } catch (e) {
        throw new Error(`could not add route '${goRoute(copy)}': ${kernelWords(e)}`, { cause: e });
      }
    }
  } catch (e) {
    release(rt, taken);
    throw e;
  }
  return taken;
}

function readd(rt: RtnlSocket, index: number, a: Address): void {
  const finite = (n: number | undefined): number | undefined => (n === undefined || n === 0xffffffff ? undefined : n);
  const valid = finite(a.validLifetime);
  const preferred = finite(a.preferredLifetime);
  addAddr(rt, index, {
    address: a.address,
    prefixLength: a.prefixLength,
    scope: a.scope,
    flags: { nodad: a.flags.nodad, noprefixroute: a.flags.noprefixroute, managetempaddr: a.flags.managetempaddr, homeaddress: a.flags.homeaddress },
    ...(valid !== undefined ? { validLifetime: valid } : {}),
    ...(preferred !== undefined ? { preferredLifetime: preferred } : {}),
  });
}

function restoreAddresses(rt: RtnlSocket, vrf: Vrf, ifName: string, taken: Enslaved): void {
  const now = new Set(globalIPv6(rt, taken.link.index).map((a) => `${a.address}/${a.prefixLength}`));
  for (const a of taken.addresses) {
    const cidr = `${a.address}/${a.prefixLength}`;
    if (now.has(cidr)) continue;
    try {
      readd(rt, taken.link.index, a);
    } catch (e) {
      throw new Error(`could not restore address ${cidr} to ${ifName} @ ${vrf.name}: ${kernelWords(e)}`, { cause: e });
    }
    // The kernel adds the address's local route to the VRF's table once DAD is done.
    const retries = 8;
    for (let n = 0; ; n++) {
      const local = listRoutes(rt, { family: 6, table: vrf.table, dst: `${a.address}/128` }).some((r) => r.oif === taken.link.index);
      if (local) break;
      if (n === retries) throw new Error(`failed getting local/host addresses for ${ifName} in table ${vrf.table} with dst ${cidr}`);
      sleepSync(10 * 2 ** n);
    }
  }
}

/**
 * Takes the interface out of its VRF and gives back what enslaving took (its IPv6 addresses
 * and main-table routes); best effort, for undoing a failed ADD.
 *
 * @example release(rt, taken)
 */
export function release(rt: RtnlSocket, taken: Enslaved): void {
  const attempt = (fn: () => void): void => {
    try {
      fn();
    } catch {
      // Undo is best effort: the failure being reported is the one that matters.
    }
  };
  attempt(() => setLinkNoMaster(rt, taken.link.index));
  const now = new Set(globalIPv6(rt, taken.link.index).map((a) => `${a.address}/${a.prefixLength}`));
  for (const a of taken.addresses) if (!now.has(`${a.address}/${a.prefixLength}`)) attempt(() => readd(rt, taken.link.index, a));
  for (const r of taken.routes) attempt(() => replaceRoute(rt, { ...r, flags: 0 }));
}
