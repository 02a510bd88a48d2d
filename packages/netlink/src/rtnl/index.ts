/**
 * rtnetlink in TypeScript: a synchronous NETLINK_ROUTE client and the message codecs behind it.
 *
 * Layers, bottom up (each usable on its own):
 *
 * - values.ts: payload values: `u8Bytes`/`u16Bytes`/`be16Bytes`/`u32Bytes`/`i32Bytes`/
 *   `u64Bytes`/`cstringBytes` and their `read*` inverses; `ipBytes`/`ipText` (inet_ntop text),
 *   `macBytes`/`macText`.
 * - attrs.ts: attributes. Encode a tree of `AttrInput` built with `attr.u32(type, v)`,
 *   `attr.string(...)`, `attr.nested(type, children)` ... through `encodeAttrs`; decode with
 *   `AttrSet.parse(bytes)` and its getters (`u32(type)`, `string(type)`, `ip(type)`,
 *   `nested(type)` → AttrSet, `all(type)` for repeats). Flags such as `NLA_F_NESTED` go in
 *   `type` and are kept by the decoder (`Attr.flags`), so `encodeAttrs(asInput(parseAttrs(b)))`
 *   gives `b` back.
 * - codec.ts: `encodeMessage`/`parseMessages` (nlmsghdr), `decodeError`/`decodeDone` (status
 *   and extended ack), and `StructCodec`s for the fixed family headers (`ifInfoMsg`,
 *   `ifAddrMsg`) with `encodeBody(codec, header, attrs)` / `decodeBody(codec, payload)`.
 *   A new message family (routes: rtmsg; neighbours: ndmsg; rules: fib_rule_hdr) adds its
 *   header as a StructCodec and its attribute numbers in its own module.
 * - socket.ts: `RtnlSocket.open({ netns })`; `rt.request(type, flags, body, attrs)` sends with
 *   NLM_F_REQUEST|NLM_F_ACK and returns the messages before the ack; `rt.dump(type, body,
 *   attrs)` returns every message up to NLMSG_DONE, asking again on NLM_F_DUMP_INTR;
 *   `withRtnlSocket(options, fn)` opens, runs and closes.
 * - errors.ts: `RtnlError` (a SysError: `errno`, `code`, `op` = 'RTM_NEWLINK', plus `extAck`,
 *   the kernel's explanation), `LinkNotFoundError`, `RtnlProtocolError`; `isNotFound(e)`,
 *   `isExists(e)`.
 * - link.ts, link-kinds.ts, link-attrs.ts: links (`getLink`, `listLinks`, `createLink`,
 *   `deleteLink`, `setLink` and one-change helpers) and kinds (`LinkInfo`: veth, bridge,
 *   macvlan, macvtap, ipvlan, vlan, vxlan, tun, vrf, dummy, ifb).
 * - bridge-port.ts, bridge.ts: bridge port settings (`setBridgePort`) and VLANs
 *   (`addBridgeVlan`, `deleteBridgeVlan`, `listBridgeVlans`).
 * - addr.ts: addresses (`addAddr`, `replaceAddr`, `deleteAddr`, `listAddrs`).
 * - route-msg.ts, route.ts: routes (`addRoute`, `addRouteEcmp` as Go's RouteAddEcmp,
 *   `appendRoute`, `replaceRoute`, `deleteRoute`, `listRoutes`); neigh.ts: neighbours
 *   (`addNeigh`, `replaceNeigh`, `deleteNeigh`, `listNeighs`); rule.ts: policy rules
 *   (`addRule`, `deleteRule`, `listRules`). A listed route, neighbour or rule is a valid
 *   spec again, so it deletes exactly itself.
 *
 * Every operation acts in the namespace the socket was opened in:
 *
 * @example
 *   const rt = RtnlSocket.open({ netns: '/run/netns/c1' });
 *   try {
 *     setLinkUp(rt, 'lo');
 *     addAddr(rt, 'eth0', { address: '10.0.0.2', prefixLength: 24 });
 *   } finally {
 *     rt.close();
 *   }
 *
 * A message family of its own (routes, say) adds a StructCodec for its header (`rtMsg` for
 * struct rtmsg) and its attribute numbers, and reuses the socket and attribute builders:
 *
 * @example
 *   rt.request(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, rtMsg.encode(hdr), [attr.ip(RTA_DST, '10.1.0.0'), attr.u32(RTA_OIF, 2)]);
 *   rt.dump(RTM_GETROUTE, rtMsg.encode({ family: AF_INET, ... })).map((m) => decodeBody(rtMsg, m.payload));
 */
export * from './constants.js';
export * from './values.js';
export * from './attrs.js';
export * from './codec.js';
export * from './errors.js';
export * from './socket.js';
export * from './link-attrs.js';
export * from './link-kinds.js';
export * from './link.js';
export * from './bridge-port.js';
export * from './bridge.js';
export * from './addr.js';
export { compact } from './plain.js';
export * from './ip-prefix.js';
export * from './route-consts.js';
export * from './route-msg.js';
export * from './route.js';
export * from './neigh.js';
export * from './rule.js';
export * from './tc.js';
