/**
 * Numbers shared by every rtnetlink message family: netlink framing, message types, header
 * flags, address families and scopes. Attribute numbers of one message family live with that
 * family's module (link.ts, addr.ts, ...), so that each module reads like its kernel header.
 * Values are those of the kernel's uapi headers (linux/netlink.h, linux/rtnetlink.h).
 */

export const AF_UNSPEC = 0;
export const AF_INET = 2;
export const AF_BRIDGE = 7;
export const AF_NETLINK = 16;
export const AF_INET6 = 10;

export const NETLINK_ROUTE = 0;

/** Control messages (linux/netlink.h). */
export const NLMSG_NOOP = 1;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLMSG_OVERRUN = 4;

/** nlmsghdr flags. */
export const NLM_F_REQUEST = 0x01;
export const NLM_F_MULTI = 0x02;
export const NLM_F_ACK = 0x04;
export const NLM_F_ECHO = 0x08;
export const NLM_F_DUMP_INTR = 0x10;
export const NLM_F_DUMP_FILTERED = 0x20;
/** Modifiers of GET requests. */
export const NLM_F_ROOT = 0x100;
export const NLM_F_MATCH = 0x200;
export const NLM_F_ATOMIC = 0x400;
export const NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH;
/** Modifiers of NEW requests. */
export const NLM_F_REPLACE = 0x100;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;
export const NLM_F_APPEND = 0x800;
/** Flags of an NLMSG_ERROR reply. */
export const NLM_F_CAPPED = 0x100;
export const NLM_F_ACK_TLVS = 0x200;

/** Extended-ack attributes that follow the echoed header of an NLMSG_ERROR. */
export const NLMSGERR_ATTR_MSG = 1;
export const NLMSGERR_ATTR_OFFS = 2;

/** Socket options (SOL_NETLINK). */
export const SOL_NETLINK = 270;
export const NETLINK_CAP_ACK = 10;
export const NETLINK_EXT_ACK = 11;
export const NETLINK_GET_STRICT_CHK = 12;

/** rtnetlink message types (linux/rtnetlink.h). */
export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_GETLINK = 18;
export const RTM_SETLINK = 19;
export const RTM_NEWADDR = 20;
export const RTM_DELADDR = 21;
export const RTM_GETADDR = 22;
export const RTM_NEWROUTE = 24;
export const RTM_DELROUTE = 25;
export const RTM_GETROUTE = 26;
export const RTM_NEWNEIGH = 28;
export const RTM_DELNEIGH = 29;
export const RTM_GETNEIGH = 30;
export const RTM_NEWRULE = 32;
export const RTM_DELRULE = 33;
export const RTM_GETRULE = 34;
export const RTM_NEWQDISC = 36;
export const RTM_DELQDISC = 37;
export const RTM_GETQDISC = 38;
export const RTM_NEWTCLASS = 40;
export const RTM_DELTCLASS = 41;
export const RTM_GETTCLASS = 42;
export const RTM_NEWTFILTER = 44;
export const RTM_DELTFILTER = 45;
export const RTM_GETTFILTER = 46;

/** The names errors and traces show for message types. */
const MESSAGE_TYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [NLMSG_NOOP, 'NLMSG_NOOP'],
  [NLMSG_ERROR, 'NLMSG_ERROR'],
  [NLMSG_DONE, 'NLMSG_DONE'],
  [NLMSG_OVERRUN, 'NLMSG_OVERRUN'],
  [RTM_NEWLINK, 'RTM_NEWLINK'],
  [RTM_DELLINK, 'RTM_DELLINK'],
  [RTM_GETLINK, 'RTM_GETLINK'],
  [RTM_SETLINK, 'RTM_SETLINK'],
  [RTM_NEWADDR, 'RTM_NEWADDR'],
  [RTM_DELADDR, 'RTM_DELADDR'],
  [RTM_GETADDR, 'RTM_GETADDR'],
  [RTM_NEWROUTE, 'RTM_NEWROUTE'],
  [RTM_DELROUTE, 'RTM_DELROUTE'],
  [RTM_GETROUTE, 'RTM_GETROUTE'],
  [RTM_NEWNEIGH, 'RTM_NEWNEIGH'],
  [RTM_DELNEIGH, 'RTM_DELNEIGH'],
  [RTM_GETNEIGH, 'RTM_GETNEIGH'],
  [RTM_NEWRULE, 'RTM_NEWRULE'],
  [RTM_DELRULE, 'RTM_DELRULE'],
  [RTM_GETRULE, 'RTM_GETRULE'],
  [RTM_NEWQDISC, 'RTM_NEWQDISC'],
  [RTM_DELQDISC, 'RTM_DELQDISC'],
  [RTM_GETQDISC, 'RTM_GETQDISC'],
  [RTM_NEWTCLASS, 'RTM_NEWTCLASS'],
  [RTM_DELTCLASS, 'RTM_DELTCLASS'],
  [RTM_GETTCLASS, 'RTM_GETTCLASS'],
  [RTM_NEWTFILTER, 'RTM_NEWTFILTER'],
  [RTM_DELTFILTER, 'RTM_DELTFILTER'],
  [RTM_GETTFILTER, 'RTM_GETTFILTER'],
]);

/**
 * The symbolic name of a message type, `RTM_<n>` for one without a name here.
 *
 * @example messageTypeName(RTM_NEWLINK) // 'RTM_NEWLINK'
 */
export function messageTypeName(type: number): string {
  return MESSAGE_TYPE_NAMES.get(type) ?? `RTM_${type}`;
}

/** Address and route scopes (enum rt_scope_t). */
export const RT_SCOPE_UNIVERSE = 0;
export const RT_SCOPE_SITE = 200;
export const RT_SCOPE_LINK = 253;
export const RT_SCOPE_HOST = 254;
export const RT_SCOPE_NOWHERE = 255;

/** Filters a GETLINK request can ask for in IFLA_EXT_MASK. */
export const RTEXT_FILTER_VF = 1 << 0;
export const RTEXT_FILTER_BRVLAN = 1 << 1;
export const RTEXT_FILTER_BRVLAN_COMPRESSED = 1 << 2;

/**
 * The name `ip` prints for a scope ('global' for universe), or the number as text.
 *
 * @example scopeName(RT_SCOPE_LINK) // 'link'
 */
export function scopeName(scope: number): string {
  const names: Readonly<Record<number, string>> = { 0: 'global', 200: 'site', 253: 'link', 254: 'host', 255: 'nowhere' };
  return names[scope] ?? String(scope);
}
