/**
 * sbr's work inside the container (reference §4.5), in the reference's order: per address a
 * `from <ip> lookup <T>` rule in the first table from 100 on that no rule names, a default
 * route through the gateway there, and a copy of the interface's main-table routes that belong
 * to the address; then the interface's routes leave main (with addSourceHints only those not
 * of link scope, the subnet routes getting a `src` hint instead). Every change is journalled,
 * so a failure part way leaves the namespace as it was.
 */
import { isNotFound } from '@tscni/netlink/rtnl/errors';
import { getLink } from '@tscni/netlink/rtnl/link';
import { listAddrs } from '@tscni/netlink/rtnl/addr';
import { addRoute, deleteRoute, listRoutes, replaceRoute } from '@tscni/netlink/rtnl/route';
import { RTM_F_CLONED, RT_TABLE_MAIN } from '@tscni/netlink/rtnl/route-consts';
import { RT_SCOPE_LINK } from '@tscni/netlink/rtnl/constants';
import type { Route, RouteSpec } from '@tscni/netlink/rtnl/route-msg';
import { addRule, deleteRule, listRules, type Rule, type RuleSpec } from '@tscni/netlink/rtnl/rule';
import type { RtnlSocket } from '@tscni/netlink/rtnl/socket';
import { canonicalIP, parseCIDR, parseIP, toIPv4 } from '@tscni/spec/ip';
import { networkOf } from '../../net/validate.js';
import { kernelWords } from '../../net/kernel-words.js';
import type { SbrConf, SourceAddress } from './config.js';

/** The first table the reference considers. */
export const FIRST_TABLE = 100;

/** Undo steps, run newest first when the work fails. */
type Journal = (() => void)[];

function undo(journal: Journal): void {
  for (const step of journal.reverse()) {
    try {
      step();
    } catch {
      // Best effort: the error that made us undo is the one to report.
    }
  }
}

/**
 * The first table from `from` on that no rule names. The reference also skips tables its
 * main-table route list names, which never holds a table other than main.
 *
 * @example nextFreeTable(listRules(rt), 100) // 100 in a fresh namespace
 */
export function nextFreeTable(rules: readonly Rule[], from: number): number {
  const used = new Set(rules.map((r) => r.table));
  let table = from;
  while (used.has(table)) table++;
  return table;
}

/**
 * Go's IPNet.Contains: whether `ip` lies in the subnet of `cidr` (host bits of the CIDR
 * ignored); an absent ip or one of the other family is not contained.
 *
 * @example subnetContains('10.1.0.5/24', '10.1.0.1') // true
 */
export function subnetContains(cidr: string, ip: string | undefined): boolean {
  if (ip === undefined) return false;
  const net = parseCIDR(cidr);
  const addr = parseIP(ip);
  if (!net || !addr) return false;
  const a = toIPv4(net.ip) ?? net.ip;
  const b = toIPv4(addr) ?? addr;
  if (a.length !== b.length) return false;
  const bits = net.prefix - (net.ip.length === 16 && a.length === 4 ? 96 : 0);
  for (let i = 0; i < a.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    const mask = (0xff << (8 - keep)) & 0xff;
    if ((a[i]! & mask) !== (b[i]! & mask)) return false;
  }
  return true;
}

function hostPrefix(a: SourceAddress): string {
  return `${a.ip}/${a.family === 4 ? 32 : 128}`;
}

function addSourceRule(rt: RtnlSocket, a: SourceAddress, table: number, journal: Journal, words: string): void {
  const spec: RuleSpec = { src: hostPrefix(a), table };
  try {
    addRule(rt, spec);
  } catch (e) {
    throw new Error(`${words}: ${kernelWords(e)}`, { cause: e });
  }
  journal.push(() => deleteRule(rt, spec));
}

/**
 * The main-table routes out of the link, as the reference's netlink library lists them: no
 * multipath routes (their link is a next hop's) and no cached clones.
 */
function mainRoutesOf(rt: RtnlSocket, oif: number): Route[] {
  return listRoutes(rt, { table: RT_TABLE_MAIN }).filter((r) => r.oif === oif && r.multipath === undefined && (r.flags & RTM_F_CLONED) === 0);
}

/** Copies `r` into `table` (replacing what is there); the undo deletes the copy. */
function copyRoute(rt: RtnlSocket, r: Route, table: number, journal: Journal): void {
  // Flags a dynamically made route carries would make the kernel refuse the copy.
  const copy: RouteSpec = { ...r, table, flags: 0 };
  try {
    replaceRoute(rt, copy);
  } catch (e) {
    throw new Error(`Failed to readd route: ${kernelWords(e)}`, { cause: e });
  }
  journal.push(() => deleteRoute(rt, copy));
}

/**
 * The `table` mode: only a rule per address into the configured table.
 *
 * @example rulesIntoTable(rt, addresses, 5000)
 */
export function rulesIntoTable(rt: RtnlSocket, addresses: readonly SourceAddress[], table: number): void {
  const journal: Journal = [];
  try {
    for (const a of addresses) addSourceRule(rt, a, table, journal, 'failed to add rule');
  } catch (e) {
    undo(journal);
    throw e;
  }
}

/** What routeBySource warns about instead of failing (the reference only logs these). */
export type Warn = (message: string) => void;

/**
 * The default mode: tables picked from 100 on, one per address. Call with a socket in the
 * container's namespace, holding the namespace's lock.
 *
 * @example routeBySource(rt, 'eth0', addresses, conf, (m) => process.stderr.write(m))
 */
export function routeBySource(rt: RtnlSocket, ifName: string, addresses: readonly SourceAddress[], conf: SbrConf, warn: Warn): void {
  const rules = listRules(rt);
  let table = nextFreeTable(rules, FIRST_TABLE);
  let oif: number;
  try {
    oif = getLink(rt, ifName).index;
  } catch (e) {
    throw new Error(`Cannot find network interface ${ifName}: ${kernelWords(e)}`, { cause: e });
  }
  const routes = mainRoutesOf(rt, oif);
  const journal: Journal = [];
  try {
    for (const a of addresses) {
      addSourceRule(rt, a, table, journal, 'Failed to add rule');
      const gateway = conf.gateways[a.family] ?? a.gateway;
      if (gateway !== undefined) {
        // The previous plugin's default route may be gone from main; this table gets its own.
        const route: RouteSpec = { dst: a.family === 4 ? '0.0.0.0/0' : '::/0', gateway, table, oif };
        try {
          addRoute(rt, route);
        } catch (e) {
          throw new Error(`Failed to add default route to ${canonicalIP(gateway) ?? gateway}: ${kernelWords(e)}`, { cause: e });
        }
        journal.push(() => deleteRoute(rt, route));
      }
      for (const r of routes) {
        // A route with neither source nor gateway is generic: every address's table gets it.
        const generic = r.prefsrc === undefined && r.gateway === undefined;
        if (generic || subnetContains(a.cidr, r.prefsrc) || subnetContains(a.cidr, r.gateway)) copyRoute(rt, r, table, journal);
      }
      table = nextFreeTable(rules, table + 1);
    }
    if (conf.addSourceHints) {
      keepSubnetRoutes(rt, oif, addresses, routes, warn);
    } else {
      // Only now, since addresses of one subnet each needed the routes in main to add theirs.
      for (const r of routes) {
        try {
          deleteRoute(rt, r);
        } catch (e) {
          throw new Error(`Failed to delete route: ${kernelWords(e)}`, { cause: e });
        }
        journal.push(() => addRoute(rt, { ...r, flags: 0 }));
      }
    }
  } catch (e) {
    undo(journal);
    throw e;
  }
}

/**
 * addSourceHints: each address's subnet stays reachable from main, with the address as its
 * preferred source, and only the routes not of link scope leave main. The reference carries
 * on past failures here, with a warning.
 */
function keepSubnetRoutes(rt: RtnlSocket, oif: number, addresses: readonly SourceAddress[], routes: readonly Route[], warn: Warn): void {
  for (const a of addresses) {
    try {
      replaceRoute(rt, { dst: networkOf(a.cidr), prefsrc: a.ip, oif, table: RT_TABLE_MAIN, scope: RT_SCOPE_LINK });
    } catch (e) {
      warn(`Warning: Failed to add subnet route to main table: ${kernelWords(e)}`);
    }
  }
  for (const r of routes) {
    if (r.scope === RT_SCOPE_LINK) continue;
    try {
      deleteRoute(rt, r);
    } catch (e) {
      warn(`Warning: Failed to delete route: ${kernelWords(e)}`);
    }
  }
}

/**
 * DEL: removes every rule (of `table`, when set) whose source is an address the interface
 * still has; routes in the tables go with the link. A missing link is nothing to do. Rule
 * failures do not stop the others; the last one is thrown.
 *
 * @example tidyRules(rt, 'eth0', undefined)
 */
export function tidyRules(rt: RtnlSocket, ifName: string, table: number | undefined): void {
  const rules = listRules(rt, table === undefined ? {} : { table });
  let index: number;
  try {
    index = getLink(rt, ifName).index;
  } catch (e) {
    if (isNotFound(e)) return;
    throw new Error(`Failed to get link ${ifName}: ${kernelWords(e)}`, { cause: e });
  }
  const addresses = new Set(listAddrs(rt, { link: index }).map((a) => canonicalIP(a.address)));
  let failure: Error | undefined;
  for (const rule of rules) {
    if (rule.src === undefined) continue;
    const src = canonicalIP(rule.src.slice(0, rule.src.indexOf('/')));
    if (!addresses.has(src)) continue;
    try {
      deleteRule(rt, rule);
    } catch (e) {
      failure = new Error(`Failed to delete rule ${kernelWords(e)}`, { cause: e });
    }
  }
  if (failure) throw failure;
}
