/**
 * Links: look up, list, create, delete and change network interfaces through RTM_*LINK.
 * Every function takes an open RtnlSocket and acts in that socket's namespace. A link is named
 * by index or by name (LinkRef); a missing one throws LinkNotFoundError (test with isNotFound).
 */
import { AttrSet, attr, type AttrInput } from './attrs.js';
import { decodeBody, encodeBody, ifInfoMsg, type IfInfoMsg } from './codec.js';
import { AF_BRIDGE, AF_UNSPEC, NLM_F_CREATE, NLM_F_EXCL, RTM_DELLINK, RTM_GETLINK, RTM_NEWLINK, RTM_SETLINK } from './constants.js';
import { LinkNotFoundError, RtnlError } from './errors.js';
import { decodeBridgePort, type BridgePort } from './bridge-port.js';
import {
  IFF_ALLMULTI,
  IFF_PROMISC,
  IFF_UP,
  IFLA_ADDRESS,
  IFLA_BROADCAST,
  IFLA_GROUP,
  IFLA_IFALIAS,
  IFLA_IFNAME,
  IFLA_INFO_DATA,
  IFLA_INFO_KIND,
  IFLA_INFO_SLAVE_DATA,
  IFLA_INFO_SLAVE_KIND,
  IFLA_LINK,
  IFLA_LINKINFO,
  IFLA_LINK_NETNSID,
  IFLA_MASTER,
  IFLA_MAX_MTU,
  IFLA_MIN_MTU,
  IFLA_MTU,
  IFLA_NET_NS_FD,
  IFLA_NUM_RX_QUEUES,
  IFLA_NUM_TX_QUEUES,
  IFLA_OPERSTATE,
  IFLA_PERM_ADDRESS,
  IFLA_PROMISCUITY,
  IFLA_PROTINFO,
  IFLA_QDISC,
  IFLA_TXQLEN,
  OPER_STATES,
  linkFlags,
  type LinkFlags,
  type OperState,
} from './link-attrs.js';
import { decodeLinkInfo, linkInfoAttr, type LinkInfo } from './link-kinds.js';
import { compact } from './plain.js';
import type { RtnlSocket } from './socket.js';

const ENODEV = 19;

/** A link by interface index or by name. */
export type LinkRef = number | string;

/** A link as the kernel reports it. Optional fields are absent when the kernel sent nothing. */
export interface Link {
  index: number;
  name: string;
  /** ARPHRD_* hardware type (1 Ethernet, 772 loopback). */
  hardwareType: number;
  /** ifi_flags as sent. */
  rawFlags: number;
  flags: LinkFlags;
  operState: OperState;
  mtu: number;
  minMtu?: number;
  maxMtu?: number;
  txQueueLen: number;
  /** Hardware address, lower-case colon form. */
  mac?: string;
  broadcast?: string;
  permanentMac?: string;
  /** Index of the bridge (or bond, VRF) this link is a port of. */
  masterIndex?: number;
  /** IFLA_LINK: the parent (macvlan, vlan) or the veth peer; in the namespace given by linkNetnsId when set. */
  parentIndex?: number;
  /** The peer namespace's id as seen from this one, when the parent lives elsewhere. */
  linkNetnsId?: number;
  alias?: string;
  qdisc?: string;
  group?: number;
  /** How many users asked for promiscuous mode (the IFF_PROMISC flag is the user-set bit). */
  promiscuity?: number;
  numTxQueues?: number;
  numRxQueues?: number;
  /** IFLA_INFO_KIND: 'veth', 'bridge', ... (absent for physical devices and lo). */
  kind?: string;
  /** The kind's data, for the kinds link-kinds.ts knows. */
  info?: LinkInfo;
  /** IFLA_INFO_SLAVE_KIND: 'bridge' for a bridge port. */
  slaveKind?: string;
  /** A bridge port's settings (from IFLA_INFO_SLAVE_DATA, or IFLA_PROTINFO in AF_BRIDGE dumps). */
  bridgePort?: BridgePort;
}

/**
 * Decodes an RTM_NEWLINK payload (a GET answer, a dump entry, or a request).
 *
 * @example const link = decodeLink(msg.payload); link.flags.up
 */
export function decodeLink(payload: Uint8Array): Link {
  const { header, attrs } = decodeBody(ifInfoMsg, payload);
  const linkinfo = attrs.nested(IFLA_LINKINFO);
  const kind = linkinfo?.string(IFLA_INFO_KIND);
  const slaveKind = linkinfo?.string(IFLA_INFO_SLAVE_KIND);
  let bridgePort: BridgePort | undefined;
  if (slaveKind === 'bridge') bridgePort = decodeBridgePort(linkinfo?.nested(IFLA_INFO_SLAVE_DATA) ?? new AttrSet([]));
  if (header.family === AF_BRIDGE && attrs.has(IFLA_PROTINFO)) bridgePort = decodeBridgePort(attrs.nested(IFLA_PROTINFO)!);
  const flags = header.flags ?? 0;
  const operState = attrs.u8(IFLA_OPERSTATE);
  return compact<Link>({
    index: header.index,
    name: attrs.string(IFLA_IFNAME) ?? '',
    hardwareType: header.type ?? 0,
    rawFlags: flags,
    flags: linkFlags(flags),
    operState: OPER_STATES[operState ?? 0] ?? 'unknown',
    mtu: attrs.u32(IFLA_MTU) ?? 0,
    minMtu: attrs.u32(IFLA_MIN_MTU),
    maxMtu: attrs.u32(IFLA_MAX_MTU),
    txQueueLen: attrs.u32(IFLA_TXQLEN) ?? 0,
    mac: attrs.mac(IFLA_ADDRESS),
    broadcast: attrs.mac(IFLA_BROADCAST),
    permanentMac: attrs.mac(IFLA_PERM_ADDRESS),
    masterIndex: attrs.u32(IFLA_MASTER),
    parentIndex: attrs.u32(IFLA_LINK),
    linkNetnsId: attrs.i32(IFLA_LINK_NETNSID),
    alias: attrs.string(IFLA_IFALIAS),
    qdisc: attrs.string(IFLA_QDISC),
    group: attrs.u32(IFLA_GROUP),
    promiscuity: attrs.u32(IFLA_PROMISCUITY),
    numTxQueues: attrs.u32(IFLA_NUM_TX_QUEUES),
    numRxQueues: attrs.u32(IFLA_NUM_RX_QUEUES),
    kind,
    info: kind === undefined ? undefined : decodeLinkInfo(kind, linkinfo?.nested(IFLA_INFO_DATA)),
    slaveKind,
    bridgePort,
  });
}

/** What a new link is made of. */
export interface NewLink {
  name: string;
  info: LinkInfo;
  mtu?: number;
  mac?: string;
  txQueueLen?: number;
  /** The lower device (macvlan, macvtap, ipvlan, vlan): IFLA_LINK. */
  parentIndex?: number;
  /** Enslave to this bridge at creation. */
  masterIndex?: number;
  /** Create the link in this namespace (an open NetNS.fd) instead of the socket's. */
  netnsFd?: number;
  /** Bring it up at creation. */
  up?: boolean;
  numTxQueues?: number;
  numRxQueues?: number;
}

/**
 * The RTM_NEWLINK header and attributes that create a link, for createLink and for tests
 * that check bytes without a kernel.
 *
 * @example newLinkRequest({ name: 'br0', info: { kind: 'bridge' }, mtu: 1400 })
 */
export function newLinkRequest(spec: NewLink): { header: IfInfoMsg; attrs: AttrInput[] } {
  const attrs: AttrInput[] = [attr.string(IFLA_IFNAME, spec.name)];
  if (spec.txQueueLen !== undefined) attrs.push(attr.u32(IFLA_TXQLEN, spec.txQueueLen));
  if (spec.numTxQueues !== undefined) attrs.push(attr.u32(IFLA_NUM_TX_QUEUES, spec.numTxQueues));
  if (spec.numRxQueues !== undefined) attrs.push(attr.u32(IFLA_NUM_RX_QUEUES, spec.numRxQueues));
  if (spec.mtu !== undefined) attrs.push(attr.u32(IFLA_MTU, spec.mtu));
  if (spec.mac !== undefined) attrs.push(attr.mac(IFLA_ADDRESS, spec.mac));
  if (spec.parentIndex !== undefined) attrs.push(attr.u32(IFLA_LINK, spec.parentIndex));
  if (spec.masterIndex !== undefined) attrs.push(attr.u32(IFLA_MASTER, spec.masterIndex));
  if (spec.netnsFd !== undefined) attrs.push(attr.u32(IFLA_NET_NS_FD, spec.netnsFd));
  attrs.push(linkInfoAttr(spec.info));
  const up = spec.up ? IFF_UP : 0;
  return { header: { family: AF_UNSPEC, index: 0, flags: up, change: up }, attrs };
}

function notFound(e: unknown, messageType: number, ref: LinkRef): unknown {
  if (e instanceof RtnlError && e.code === 'ENODEV' && !(e instanceof LinkNotFoundError)) return new LinkNotFoundError(messageType, ref, e.errno, e.extAck);
  return e;
}

/**
 * One link by index or name; throws LinkNotFoundError when there is none.
 *
 * @example getLink(rt, 'eth0').mac // '9a:89:90:b6:dc:96'
 */
export function getLink(rt: RtnlSocket, ref: LinkRef): Link {
  const byName = typeof ref === 'string';
  try {
    const replies = rt.request(RTM_GETLINK, 0, ifInfoMsg.encode({ family: AF_UNSPEC, index: byName ? 0 : ref }), byName ? [attr.string(IFLA_IFNAME, ref)] : []);
    const reply = replies.find((m) => m.type === RTM_NEWLINK);
    if (reply === undefined) throw new LinkNotFoundError(RTM_GETLINK, ref, ENODEV);
    return decodeLink(reply.payload);
  } catch (e) {
    throw notFound(e, RTM_GETLINK, ref);
  }
}

/**
 * The interface index of a link (names are looked up, numbers returned as they are).
 *
 * @example linkIndex(rt, 'lo') // 1
 */
export function linkIndex(rt: RtnlSocket, ref: LinkRef): number {
  return typeof ref === 'number' ? ref : getLink(rt, ref).index;
}

/**
 * Every link in the socket's namespace, in the kernel's order (by index).
 *
 * @example listLinks(rt).map((l) => l.name) // ['lo', 'eth0']
 */
export function listLinks(rt: RtnlSocket): Link[] {
  return rt.dump(RTM_GETLINK, ifInfoMsg.encode({ family: AF_UNSPEC, index: 0 })).filter((m) => m.type === RTM_NEWLINK).map((m) => decodeLink(m.payload));
}

/**
 * Creates a link (NLM_F_CREATE | NLM_F_EXCL: an existing name fails with EEXIST). Read it
 * back with getLink.
 *
 * @example createLink(rt, { name: 'eth0', info: { kind: 'veth', peer: { name: 'veth1234', netnsFd: host.fd } }, mtu: 1400 })
 */
export function createLink(rt: RtnlSocket, spec: NewLink): void {
  const { header, attrs } = newLinkRequest(spec);
  rt.request(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, ifInfoMsg.encode(header), attrs);
}

/**
 * Deletes a link (a veth takes its peer along); LinkNotFoundError when it does not exist.
 *
 * @example try { deleteLink(rt, 'eth0') } catch (e) { if (!isNotFound(e)) throw e }
 */
export function deleteLink(rt: RtnlSocket, ref: LinkRef): void {
  const byName = typeof ref === 'string';
  try {
    rt.request(RTM_DELLINK, 0, ifInfoMsg.encode({ family: AF_UNSPEC, index: byName ? 0 : ref }), byName ? [attr.string(IFLA_IFNAME, ref)] : []);
  } catch (e) {
    throw notFound(e, RTM_DELLINK, ref);
  }
}

/** Changes to one link, sent together in one RTM_SETLINK. */
export interface LinkChanges {
  /** Rename (older kernels want the link down). */
  name?: string;
  up?: boolean;
  mtu?: number;
  mac?: string;
  txQueueLen?: number;
  /** Enslave to this bridge (or other master); 0 releases it (nomaster). */
  masterIndex?: number;
  /** Move to the namespace of this open file descriptor (NetNS.fd). */
  netnsFd?: number;
  promisc?: boolean;
  allmulti?: boolean;
  /** Interface alias (ifalias); '' removes it. */
  alias?: string;
}

/**
 * The RTM_SETLINK header and attributes for a set of changes.
 *
 * @example setLinkRequest(3, { up: true, mtu: 1400 })
 */
export function setLinkRequest(index: number, c: LinkChanges): { header: IfInfoMsg; attrs: AttrInput[] } {
  let flags = 0;
  let change = 0;
  const flag = (bit: number, on: boolean | undefined): void => {
    if (on === undefined) return;
    change |= bit;
    if (on) flags |= bit;
  };
  flag(IFF_UP, c.up);
  flag(IFF_PROMISC, c.promisc);
  flag(IFF_ALLMULTI, c.allmulti);
  const attrs: AttrInput[] = [];
  if (c.name !== undefined) attrs.push(attr.string(IFLA_IFNAME, c.name));
  if (c.mtu !== undefined) attrs.push(attr.u32(IFLA_MTU, c.mtu));
  if (c.mac !== undefined) attrs.push(attr.mac(IFLA_ADDRESS, c.mac));
  if (c.txQueueLen !== undefined) attrs.push(attr.u32(IFLA_TXQLEN, c.txQueueLen));
  if (c.masterIndex !== undefined) attrs.push(attr.u32(IFLA_MASTER, c.masterIndex));
  if (c.alias !== undefined) attrs.push(attr.text(IFLA_IFALIAS, c.alias));
  if (c.netnsFd !== undefined) attrs.push(attr.u32(IFLA_NET_NS_FD, c.netnsFd));
  return { header: { family: AF_UNSPEC, index, flags, change }, attrs };
}

/**
 * Applies changes to a link in one request.
 *
 * @example setLink(rt, 'eth0', { mtu: 1400, up: true })
 */
export function setLink(rt: RtnlSocket, ref: LinkRef, changes: LinkChanges): void {
  const index = linkIndex(rt, ref);
  const { header, attrs } = setLinkRequest(index, changes);
  try {
    rt.request(RTM_SETLINK, 0, ifInfoMsg.encode(header), attrs);
  } catch (e) {
    throw notFound(e, RTM_SETLINK, ref);
  }
}

/** @example setLinkUp(rt, 'eth0') */
export function setLinkUp(rt: RtnlSocket, ref: LinkRef): void {
  setLink(rt, ref, { up: true });
}

/** @example setLinkDown(rt, 'eth0') */
export function setLinkDown(rt: RtnlSocket, ref: LinkRef): void {
  setLink(rt, ref, { up: false });
}

/** Kernels before 6.x refuse to rename a link that is up (EBUSY). @example renameLink(rt, 'veth1a2b3c4d', 'eth0') */
export function renameLink(rt: RtnlSocket, ref: LinkRef, name: string): void {
  setLink(rt, ref, { name });
}

/** @example setLinkMtu(rt, 'eth0', 1400) */
export function setLinkMtu(rt: RtnlSocket, ref: LinkRef, mtu: number): void {
  setLink(rt, ref, { mtu });
}

/** @example setLinkMac(rt, 'eth0', '02:42:ac:11:00:02') */
export function setLinkMac(rt: RtnlSocket, ref: LinkRef, mac: string): void {
  setLink(rt, ref, { mac });
}

/** @example setLinkMaster(rt, 'veth1a2b3c4d', 'cni0') */
export function setLinkMaster(rt: RtnlSocket, ref: LinkRef, master: LinkRef): void {
  setLink(rt, ref, { masterIndex: linkIndex(rt, master) });
}

/** @example setLinkNoMaster(rt, 'veth1a2b3c4d') */
export function setLinkNoMaster(rt: RtnlSocket, ref: LinkRef): void {
  setLink(rt, ref, { masterIndex: 0 });
}

/**
 * Moves a link into the namespace of an open file descriptor; it leaves this socket's view.
 *
 * @example setLinkNetns(rt, 'macvlan0', NetNS.open('/run/netns/c1').fd)
 */
export function setLinkNetns(rt: RtnlSocket, ref: LinkRef, netnsFd: number): void {
  setLink(rt, ref, { netnsFd });
}

/** @example setLinkPromisc(rt, 'cni0', true) */
export function setLinkPromisc(rt: RtnlSocket, ref: LinkRef, on: boolean): void {
  setLink(rt, ref, { promisc: on });
}

/** @example setLinkAllmulti(rt, 'eth0', true) */
export function setLinkAllmulti(rt: RtnlSocket, ref: LinkRef, on: boolean): void {
  setLink(rt, ref, { allmulti: on });
}

/** @example setLinkTxQueueLen(rt, 'eth0', 500) */
export function setLinkTxQueueLen(rt: RtnlSocket, ref: LinkRef, txQueueLen: number): void {
  setLink(rt, ref, { txQueueLen });
}

/** '' removes the alias. @example setLinkAlias(rt, 'eth0', 'ens3') */
export function setLinkAlias(rt: RtnlSocket, ref: LinkRef, alias: string): void {
  setLink(rt, ref, { alias });
}
