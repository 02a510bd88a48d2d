/**
 * Routes over rtnetlink, IPv4 and IPv6: add, the reference's ECMP add, append, replace,
 * delete and list. The four ways to add differ only in the NLM_F_* flags, and the kernel
 * gives each a different meaning when a route with the same destination (and, for IPv6,
 * metric) exists:
 *
 * - addRoute (CREATE|EXCL): EEXIST.
 * - addRouteEcmp (CREATE, Go's RouteAddEcmp, used by ipam.ConfigureIface): IPv6 gatewayed
 *   routes join the existing one as a multipath route; IPv4 gets a second route in front of
 *   the first. An identical route is EEXIST in both families.
 * - appendRoute (CREATE|APPEND, `ip route append`): as above, but IPv4 puts the new route
 *   behind the existing ones.
 * - replaceRoute (CREATE|REPLACE): the first matching route is replaced, or one is created.
 */
import { AF_INET, AF_INET6, AF_UNSPEC, NLM_F_APPEND, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE, RTM_DELROUTE, RTM_GETROUTE, RTM_NEWROUTE } from './constants.js';
import { parsePrefix } from './ip-prefix.js';
import { RTNH_F_ONLINK, RT_TABLE_MAIN, RT_TABLE_UNSPEC } from './route-consts.js';
import { decodeRoute, encodeRoute, rtMsg, type Route, type RouteDefaults, type RouteSpec } from './route-msg.js';
import type { RtnlSocket } from './socket.js';

/** Kernel-state flags (linkdown, offload, ...) of a listed route are refused in requests. */
function requestable(spec: RouteSpec): RouteSpec {
  return {
    ...spec,
    flags: (spec.flags ?? 0) & RTNH_F_ONLINK,
    ...(spec.multipath !== undefined && { multipath: spec.multipath.map((h) => ({ ...h, flags: (h.flags ?? 0) & RTNH_F_ONLINK })) }),
  };
}

function send(rt: RtnlSocket, type: number, flags: number, spec: RouteSpec, defaults: RouteDefaults): void {
  const { header, attrs } = encodeRoute(requestable(spec), defaults);
  rt.request(type, flags, rtMsg.encode(header), attrs);
}

/**
 * Adds a route; EEXIST (isExists) when one with the same destination, table, tos and metric
 * is there.
 *
 * @example addRoute(rt, { dst: '0.0.0.0/0', gateway: '10.1.0.1', oif: 2 })
 */
export function addRoute(rt: RtnlSocket, spec: RouteSpec): void {
  send(rt, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, spec, 'new');
}

/**
 * Adds a route the way Go's RouteAddEcmp does (NLM_F_CREATE alone): a second IPv6 gateway
 * for a destination and metric makes the route multipath; for IPv4 the new route is put in
 * front of the existing one. ipam.ConfigureIface adds every result route this way.
 *
 * @example addRouteEcmp(rt, { dst: 'fd09::/64', gateway: 'fd02::2', oif: 3 })
 */
export function addRouteEcmp(rt: RtnlSocket, spec: RouteSpec): void {
  send(rt, RTM_NEWROUTE, NLM_F_CREATE, spec, 'new');
}

/**
 * Appends a route (`ip route append`): IPv6 gateways join a multipath route, IPv4 routes
 * queue behind existing ones with the same destination.
 *
 * @example appendRoute(rt, { dst: '10.9.0.0/24', gateway: '10.2.0.2', oif: 3 })
 */
export function appendRoute(rt: RtnlSocket, spec: RouteSpec): void {
  send(rt, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_APPEND, spec, 'new');
}

/**
 * Replaces the route with the same destination, table, tos and metric, or adds it.
 *
 * @example replaceRoute(rt, { dst: '10.9.0.0/24', gateway: '10.1.0.3', oif: 2, table: 100 })
 */
export function replaceRoute(rt: RtnlSocket, spec: RouteSpec): void {
  send(rt, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, spec, 'new');
}

/**
 * Deletes the first route matching the destination and table and whatever else the spec
 * names (gateway, link, metric, type, protocol, scope); a listed Route deletes exactly
 * itself. No match is ESRCH (isNotFound).
 *
 * @example deleteRoute(rt, { dst: '10.9.0.0/24', table: 100 })
 */
export function deleteRoute(rt: RtnlSocket, spec: RouteSpec): void {
  send(rt, RTM_DELROUTE, 0, spec, 'delete');
}

/** Which routes listRoutes returns. */
export interface RouteFilter {
  family?: 4 | 6;
  /** RT_TABLE_MAIN when absent (as `ip route` and Go's RouteList); RT_TABLE_UNSPEC (0) for all. */
  table?: number;
  /** Only routes out of this link (the route's own or one of its next hops). */
  oif?: number;
  /** Only routes to exactly this prefix (`0.0.0.0/0` for default routes). */
  dst?: string;
}

/**
 * Routes of the socket's namespace, in the kernel's dump order. The kernel is asked for all
 * routes of the family and the filter applied here, so it works whatever strict checking the
 * kernel does; multicast-routing entries (families 128, 129) of an unfiltered dump are left out.
 *
 * @example listRoutes(rt, { family: 6, table: RT_TABLE_UNSPEC, oif: 2 })
 */
export function listRoutes(rt: RtnlSocket, filter: RouteFilter = {}): Route[] {
  const family = filter.family === 4 ? AF_INET : filter.family === 6 ? AF_INET6 : AF_UNSPEC;
  const table = filter.table ?? RT_TABLE_MAIN;
  const dst = filter.dst === undefined ? undefined : parsePrefix(filter.dst);
  const dstText = dst === undefined ? undefined : `${dst.address}/${dst.length}`;
  const header = { family, dstLength: 0, srcLength: 0, tos: 0, table: 0, protocol: 0, scope: 0, type: 0, flags: 0 };
  return rt
    .dump(RTM_GETROUTE, rtMsg.encode(header))
    .filter((m) => m.type === RTM_NEWROUTE)
    // Every header starts with the family byte.
    .filter((m) => m.payload[0] === AF_INET || m.payload[0] === AF_INET6)
    .map((m) => decodeRoute(m.payload))
    .filter((r) => table === RT_TABLE_UNSPEC || r.table === table)
    .filter((r) => dstText === undefined || (r.dst === dstText && r.family === dst?.family))
    .filter((r) => filter.oif === undefined || r.oif === filter.oif || (r.multipath ?? []).some((h) => h.oif === filter.oif));
}
