/**
 * What CHECK verifies inside the container, as the reference's ip.ValidateExpectedInterfaceIPs
 * and ip.ValidateExpectedRoute: every result address is on the interface with a main-table
 * route to its prefix, and every result route is in the main table. Their messages are the
 * reference's, word for word, since runtimes show them to users.
 */
import { listAddrs } from '@tscni/netlink/rtnl/addr';
import { isNotFound } from '@tscni/netlink/rtnl/errors';
import { getLink } from '@tscni/netlink/rtnl/link';
import { listRoutes } from '@tscni/netlink/rtnl/route';
import type { RtnlSocket } from '@tscni/netlink/rtnl/socket';
import { canonicalIP, formatCIDR, formatIP, ipFamily, parseCIDR, parseIP, type CIDR } from '@tscni/spec/ip';
import type { IPConfig, Route } from '@tscni/spec/result-types';

/**
 * The network of a CIDR, host bits cleared (`10.1.2.3/24` gives `10.1.2.0/24`).
 *
 * @example networkOf('fd00:33::2/64') // 'fd00:33::/64'
 */
export function networkOf(cidr: string): string {
  const c = parseCIDR(cidr);
  if (!c) throw new Error(`invalid CIDR address: ${cidr}`);
  return formatCIDR(maskCIDR(c));
}

function maskCIDR(c: CIDR): CIDR {
  const ip = Uint8Array.from(c.ip);
  // A 4-byte address counts its prefix from the start; a mapped one from byte 12.
  const bits = c.prefix + (ip.length === 16 && ipFamily(ip) === 4 ? 96 : 0);
  for (let i = 0; i < ip.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    ip[i]! &= (0xff << (8 - keep)) & 0xff;
  }
  return { ip, prefix: c.prefix };
}

/** Go's net.IP String of an optional address (`<nil>` when absent). */
function goIP(ip: string | undefined): string {
  return ip === undefined ? '<nil>' : (canonicalIP(ip) ?? ip);
}

/** Go's types.Route String, as the reference's "Expected Route ..." messages print it. */
function goRoute(r: Route): string {
  const table = r.table === undefined ? '<nil>' : String(r.table);
  const scope = r.scope === undefined ? '<nil>' : String(r.scope);
  return `{Dst:${r.dst} GW:${goIP(r.gw)} MTU:${r.mtu ?? 0} AdvMSS:${r.advmss ?? 0} Priority:${r.priority ?? 0} Table:${table} Scope:${scope}}`;
}

/**
 * Throws unless every address of `ips` is on `ifName` (same address and prefix length) and a
 * main-table route to its network exists. Call with a socket in the container's namespace.
 *
 * @example withRtnlSocket({ netns }, (rt) => validateExpectedInterfaceIPs(rt, 'eth0', result.ips ?? []))
 */
export function validateExpectedInterfaceIPs(rt: RtnlSocket, ifName: string, ips: readonly IPConfig[]): void {
  for (const ipc of ips) {
    const c = parseCIDR(ipc.address);
    if (!c) throw new Error(`invalid address in prevResult: ${ipc.address}`);
    const address = formatIP(c.ip);
    let index: number;
    try {
      index = getLink(rt, ifName).index;
    } catch (e) {
      if (isNotFound(e)) throw new Error(`Cannot find container link ${ifName}`);
      throw e;
    }
    const prefix = ipFamily(c.ip) === 4 && c.ip.length === 16 ? c.prefix - 96 : c.prefix;
    const found = listAddrs(rt, { link: index }).some((a) => a.address === address && a.prefixLength === prefix);
    if (!found) throw new Error(`Failed to match addr ${formatCIDR(c)} on interface ${ifName}`);
    if (listRoutes(rt, { family: ipFamily(c.ip), dst: networkOf(ipc.address) }).length === 0) {
      throw new Error(`Failed to find Gateway ${goIP(ipc.gateway)} for interface ${ifName}`);
    }
  }
}

/**
 * Throws unless every route of `routes` is in the main table: a default route by destination
 * alone (as the reference looks it up), any other by destination and, when given, gateway.
 *
 * @example withRtnlSocket({ netns }, (rt) => validateExpectedRoutes(rt, result.routes ?? []))
 */
export function validateExpectedRoutes(rt: RtnlSocket, routes: readonly Route[]): void {
  for (const r of routes) {
    const dst = parseCIDR(r.dst);
    if (!dst) throw new Error(`Invalid static route found ${goRoute(r)}`);
    const family = ipFamily(dst.ip);
    const isDefault = dst.prefix === 0;
    const gw = r.gw === undefined || isDefault ? undefined : parseIP(r.gw);
    const wanted = isDefault ? (family === 4 ? '0.0.0.0/0' : '::/0') : formatCIDR(dst);
    const found = listRoutes(rt, { family })
      .filter((kr) => kr.dst === wanted)
      .some((kr) => gw === undefined || (kr.gateway !== undefined && canonicalIP(kr.gateway) === formatIP(gw)));
    if (!found) throw new Error(`Expected Route ${goRoute(r)} not found in routing table`);
  }
}
