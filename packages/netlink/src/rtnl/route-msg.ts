/**
 * Route messages: the rtmsg header, the route as a plain object, and the attribute codec
 * between them (destination and source prefixes, gateway or RTA_VIA, output link, metric,
 * table, preferred source, RTA_METRICS and RTA_MULTIPATH next hops). The operations that send
 * them live in route.ts.
 */
import { AttrSet, align4, attr, encodeAttrs, type AttrInput } from './attrs.js';
import { decodeBody, fixedStruct, type StructCodec } from './codec.js';
import { AF_INET, AF_INET6, RT_SCOPE_HOST, RT_SCOPE_LINK, RT_SCOPE_UNIVERSE } from './constants.js';
import { anyPrefix, formatPrefix, parsePrefix } from './ip-prefix.js';
import { compact } from './plain.js';
import {
  ROUTE_TYPES,
  RTAX,
  RTAX_CC_ALGO,
  RTA_DST,
  RTA_GATEWAY,
  RTA_METRICS,
  RTA_MULTIPATH,
  RTA_OIF,
  RTA_PREFSRC,
  RTA_PRIORITY,
  RTA_SRC,
  RTA_TABLE,
  RTA_VIA,
  RTPROT_BOOT,
  RT_TABLE_MAIN,
  RT_TABLE_UNSPEC,
  type RouteMetricName,
  type RouteType,
} from './route-consts.js';
import { ipBytes, ipFamily, ipText, dataView } from './values.js';

/** struct rtmsg: the header of route messages. */
export interface RtMsg {
  family: number;
  dstLength: number;
  srcLength: number;
  tos: number;
  /** The table when below 256, else RT_TABLE_UNSPEC and the table in RTA_TABLE. */
  table: number;
  protocol: number;
  scope: number;
  type: number;
  flags: number;
}

/** @example rtMsg.encode({ family: AF_INET, dstLength: 24, srcLength: 0, tos: 0, table: 254, protocol: 3, scope: 0, type: 1, flags: 0 }) */
export const rtMsg: StructCodec<RtMsg> = fixedStruct<RtMsg>(12, {
  family: [0, 'u8'],
  dstLength: [1, 'u8'],
  srcLength: [2, 'u8'],
  tos: [3, 'u8'],
  table: [4, 'u8'],
  protocol: [5, 'u8'],
  scope: [6, 'u8'],
  type: [7, 'u8'],
  flags: [8, 'u32'],
});

/** RTA_METRICS members by name (`ip route ... mtu 1400 advmss 1360`). */
export type RouteMetrics = Partial<Record<RouteMetricName, number>> & { ccAlgo?: string };

/** One path of a multipath route (struct rtnexthop and its attributes). */
export interface NextHop {
  /** Output link index (0 when the kernel chose none). */
  oif: number;
  /** The gateway, in either family (an IPv6 gateway of an IPv4 route travels as RTA_VIA). */
  gateway?: string;
  /** 1 to 256; the kernel stores weight - 1 (rtnh_hops). */
  weight: number;
  /** RTNH_F_* bits. */
  flags: number;
}

/** A next hop to send; the kernel fills what is left out. */
export interface NextHopSpec {
  oif?: number;
  gateway?: string;
  /** 1 when absent. */
  weight?: number;
  /** Only RTNH_F_ONLINK is honoured by the operations. */
  flags?: number;
}

/** A route as the kernel reports it; `dst` is always a prefix (`0.0.0.0/0` for default). */
export interface Route {
  family: 4 | 6;
  dst: string;
  /** RTA_TABLE when present, else rtm_table. */
  table: number;
  type: RouteType;
  /** RTPROT_* (kernel 2, boot 3, static 4, ...). */
  protocol: number;
  /** RT_SCOPE_* (universe 0, link 253, host 254). */
  scope: number;
  tos: number;
  /** rtm_flags: RTNH_F_* (onlink, linkdown, ...) and RTM_F_* bits. */
  flags: number;
  /** Source prefix (RTA_SRC, `ip route ... from`); IPv6 source routing only. */
  from?: string;
  oif?: number;
  gateway?: string;
  /** The metric (RTA_PRIORITY); IPv6 routes always have one, IPv4 ones only when set. */
  priority?: number;
  /** Preferred source address (`ip route ... src`). */
  prefsrc?: string;
  metrics?: RouteMetrics;
  multipath?: NextHop[];
}

/**
 * A route to add, replace or delete. A decoded Route is a valid RouteSpec, so a listed route
 * can be deleted or copied to another table as it is.
 */
export interface RouteSpec {
  /** A prefix; a bare address is a host route (/32, /128); `0.0.0.0/0` or `::/0` is default. */
  dst: string;
  gateway?: string;
  oif?: number;
  priority?: number;
  /** RT_TABLE_MAIN when absent. */
  table?: number;
  /**
   * When absent: universe (Go's netlink default, so gateway-less IPv4 routes have no
   * `scope link`), or the least the kernel accepts for the type: host for local and nat,
   * link for broadcast, anycast and multicast. Deletion matches any scope when absent.
   */
  scope?: number;
  /** RTPROT_BOOT when absent, as Go's netlink and `ip` send it; deletion matches any. */
  protocol?: number;
  /** unicast when absent; deletion matches any type. */
  type?: RouteType;
  prefsrc?: string;
  from?: string;
  tos?: number;
  /** rtm_flags; only RTNH_F_ONLINK is honoured by the operations. */
  flags?: number;
  metrics?: RouteMetrics;
  multipath?: readonly NextHopSpec[];
}

const RTNH_SIZE = 8;

function gatewayAttr(routeFamily: 4 | 6, gateway: string): AttrInput {
  if (ipFamily(gateway) === (routeFamily === 4 ? AF_INET : AF_INET6)) return attr.ip(RTA_GATEWAY, gateway);
  // struct rtvia: the gateway's family, then its address.
  const address = ipBytes(gateway);
  const via = new Uint8Array(2 + address.length);
  dataView(via).setUint16(0, ipFamily(gateway), true);
  via.set(address, 2);
  return attr.bytes(RTA_VIA, via);
}

function decodeGateway(attrs: AttrSet): string | undefined {
  const gateway = attrs.ip(RTA_GATEWAY);
  if (gateway !== undefined) return gateway;
  const via = attrs.get(RTA_VIA);
  return via === undefined || via.length < 2 ? undefined : ipText(via.subarray(2));
}

/**
 * The RTA_MULTIPATH payload: each rtnexthop (length, flags, weight - 1, ifindex) followed by
 * its own gateway attribute, each padded to 4 bytes.
 *
 * @example encodeMultipath(4, [{ gateway: '10.1.0.2', oif: 2 }, { gateway: '10.2.0.2', oif: 3, weight: 2 }])
 */
export function encodeMultipath(routeFamily: 4 | 6, hops: readonly NextHopSpec[]): Uint8Array {
  const parts = hops.map((h) => {
    const weight = h.weight ?? 1;
    if (!Number.isInteger(weight) || weight < 1 || weight > 256) throw new RangeError(`next hop weight ${weight} is outside 1..256`);
    const tail = h.gateway === undefined ? new Uint8Array(0) : encodeAttrs([gatewayAttr(routeFamily, h.gateway)]);
    const b = new Uint8Array(RTNH_SIZE + tail.length);
    const dv = dataView(b);
    dv.setUint16(0, b.length, true);
    dv.setUint8(2, h.flags ?? 0);
    dv.setUint8(3, weight - 1);
    dv.setInt32(4, h.oif ?? 0, true);
    b.set(tail, RTNH_SIZE);
    return b;
  });
  const out = new Uint8Array(parts.reduce((n, p) => n + align4(p.length), 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += align4(p.length);
  }
  return out;
}

/**
 * The next hops of an RTA_MULTIPATH payload.
 *
 * @example decodeMultipath(encodeMultipath(6, [{ gateway: 'fd01::2', oif: 2 }])) // [{ oif: 2, gateway: 'fd01::2', weight: 1, flags: 0 }]
 */
export function decodeMultipath(payload: Uint8Array): NextHop[] {
  const dv = dataView(payload);
  const out: NextHop[] = [];
  let at = 0;
  while (at + RTNH_SIZE <= payload.length) {
    const length = dv.getUint16(at, true);
    if (length < RTNH_SIZE || at + length > payload.length) {
      throw new RangeError(`malformed rtnexthop at offset ${at}: length ${length}, ${payload.length - at} bytes left`);
    }
    const attrs = AttrSet.parse(payload.subarray(at + RTNH_SIZE, at + length));
    out.push(compact<NextHop>({ oif: dv.getInt32(at + 4, true), gateway: decodeGateway(attrs), weight: dv.getUint8(at + 3) + 1, flags: dv.getUint8(at + 2) }));
    at += align4(length);
  }
  return out;
}

function encodeMetrics(m: RouteMetrics): AttrInput[] {
  const out: AttrInput[] = [];
  for (const [name, type] of Object.entries(RTAX) as [RouteMetricName, number][]) {
    const v = m[name];
    if (v !== undefined) out.push(attr.u32(type, v));
  }
  if (m.ccAlgo !== undefined) out.push(attr.string(RTAX_CC_ALGO, m.ccAlgo));
  return out.sort((a, b) => a.type - b.type);
}

function decodeMetrics(attrs: AttrSet): RouteMetrics {
  const out: RouteMetrics = {};
  for (const [name, type] of Object.entries(RTAX) as [RouteMetricName, number][]) {
    const v = attrs.u32(type);
    if (v !== undefined) out[name] = v;
  }
  const cc = attrs.string(RTAX_CC_ALGO);
  if (cc !== undefined) out.ccAlgo = cc;
  return out;
}

/**
 * The type number of a route type name.
 *
 * @example routeTypeNumber('blackhole') // 6
 */
export function routeTypeNumber(type: RouteType): number {
  return ROUTE_TYPES.indexOf(type);
}

/** The least scope the kernel accepts for an IPv4 route type (fib_props). */
function defaultScope(type: RouteType): number {
  if (type === 'local' || type === 'nat') return RT_SCOPE_HOST;
  if (type === 'broadcast' || type === 'anycast' || type === 'multicast') return RT_SCOPE_LINK;
  return RT_SCOPE_UNIVERSE;
}

/** Which defaults fill what a spec leaves out: those of a new route, or "match any" of a delete. */
export type RouteDefaults = 'new' | 'delete';

/**
 * The rtmsg header and attributes of a route, in Go's netlink order (RTA_DST, RTA_SRC,
 * RTA_PREFSRC, gateway, RTA_MULTIPATH, RTA_TABLE, RTA_PRIORITY, RTA_METRICS, RTA_OIF).
 * RTA_TABLE is sent only for tables above 255, with rtm_table RT_TABLE_UNSPEC, as `ip` does.
 * Flags are sent as given; the operations keep only RTNH_F_ONLINK.
 *
 * @example encodeRoute({ dst: '0.0.0.0/0', gateway: '10.1.0.1', oif: 2 }, 'new')
 */
export function encodeRoute(spec: RouteSpec, defaults: RouteDefaults): { header: RtMsg; attrs: AttrInput[] } {
  const dst = parsePrefix(spec.dst);
  const from = spec.from === undefined ? undefined : parsePrefix(spec.from);
  const fresh = defaults === 'new';
  const type = spec.type ?? (fresh ? 'unicast' : 'unspec');
  const table = spec.table ?? RT_TABLE_MAIN;
  const attrs: AttrInput[] = [];
  if (dst.length > 0) attrs.push(attr.ip(RTA_DST, dst.address));
  if (from !== undefined && from.length > 0) attrs.push(attr.ip(RTA_SRC, from.address));
  if (spec.prefsrc !== undefined) attrs.push(attr.ip(RTA_PREFSRC, spec.prefsrc));
  if (spec.gateway !== undefined) attrs.push(gatewayAttr(dst.family, spec.gateway));
  if (spec.multipath !== undefined && spec.multipath.length > 0) attrs.push(attr.bytes(RTA_MULTIPATH, encodeMultipath(dst.family, spec.multipath)));
  if (table > 255) attrs.push(attr.u32(RTA_TABLE, table));
  if (spec.priority !== undefined) attrs.push(attr.u32(RTA_PRIORITY, spec.priority));
  if (spec.metrics !== undefined) {
    const metrics = encodeMetrics(spec.metrics);
    if (metrics.length > 0) attrs.push(attr.nested(RTA_METRICS, metrics));
  }
  if (spec.oif !== undefined) attrs.push(attr.u32(RTA_OIF, spec.oif));
  const header: RtMsg = {
    family: dst.family === 4 ? AF_INET : AF_INET6,
    dstLength: dst.length,
    srcLength: from?.length ?? 0,
    tos: spec.tos ?? 0,
    table: table > 255 ? RT_TABLE_UNSPEC : table,
    protocol: spec.protocol ?? (fresh ? RTPROT_BOOT : 0),
    scope: spec.scope ?? (fresh ? defaultScope(type) : 255),
    type: routeTypeNumber(type),
    flags: spec.flags ?? 0,
  };
  return { header, attrs };
}

/**
 * Decodes an RTM_NEWROUTE payload (a dump entry or a notification).
 *
 * @example decodeRoute(msg.payload) // { family: 4, dst: '0.0.0.0/0', table: 254, type: 'unicast', gateway: '10.1.0.1', oif: 2, ... }
 */
export function decodeRoute(payload: Uint8Array): Route {
  const { header, attrs } = decodeBody(rtMsg, payload);
  const family: 4 | 6 = header.family === AF_INET6 ? 6 : 4;
  const dst = attrs.get(RTA_DST);
  const src = attrs.get(RTA_SRC);
  const metrics = attrs.nested(RTA_METRICS);
  const multipath = attrs.get(RTA_MULTIPATH);
  return compact<Route>({
    family,
    dst: dst === undefined ? anyPrefix(family) : formatPrefix(dst, header.dstLength),
    table: attrs.u32(RTA_TABLE) ?? header.table,
    type: ROUTE_TYPES[header.type] ?? 'unspec',
    protocol: header.protocol,
    scope: header.scope,
    tos: header.tos,
    flags: header.flags,
    from: src === undefined ? undefined : formatPrefix(src, header.srcLength),
    oif: attrs.u32(RTA_OIF),
    gateway: decodeGateway(attrs),
    priority: attrs.u32(RTA_PRIORITY),
    prefsrc: attrs.ip(RTA_PREFSRC),
    metrics: metrics === undefined ? undefined : decodeMetrics(metrics),
    multipath: multipath === undefined ? undefined : decodeMultipath(multipath),
  });
}

/**
 * The paths of a route: its next hops when multipath, else the single one it names.
 * Kernels before 4.11 dump IPv6 multipath routes as one message per path, newer ones as one
 * RTA_MULTIPATH message; callers that look for a gateway read this and need not care which.
 *
 * @example routeNextHops(route).some((h) => h.gateway === '10.1.0.1')
 */
export function routeNextHops(route: Route): NextHop[] {
  if (route.multipath !== undefined) return route.multipath;
  return [compact<NextHop>({ oif: route.oif ?? 0, gateway: route.gateway, weight: 1, flags: route.flags & 0xff })];
}
