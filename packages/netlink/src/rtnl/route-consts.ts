/**
 * Numbers of route messages (linux/rtnetlink.h): rtmsg attributes, route types, protocols,
 * tables, the RTAX_* members of RTA_METRICS and the flags of rtm_flags and rtnexthop.
 */

/** Route attributes (enum rtattr_type_t). */
export const RTA_DST = 1;
export const RTA_SRC = 2;
export const RTA_IIF = 3;
export const RTA_OIF = 4;
export const RTA_GATEWAY = 5;
export const RTA_PRIORITY = 6;
export const RTA_PREFSRC = 7;
export const RTA_METRICS = 8;
export const RTA_MULTIPATH = 9;
export const RTA_FLOW = 11;
export const RTA_CACHEINFO = 12;
export const RTA_TABLE = 15;
export const RTA_MARK = 16;
export const RTA_MFC_STATS = 17;
export const RTA_VIA = 18;
export const RTA_NEWDST = 19;
export const RTA_PREF = 20;
export const RTA_ENCAP_TYPE = 21;
export const RTA_ENCAP = 22;
export const RTA_EXPIRES = 23;
export const RTA_PAD = 24;
export const RTA_UID = 25;
export const RTA_TTL_PROPAGATE = 26;
export const RTA_IP_PROTO = 27;
export const RTA_SPORT = 28;
export const RTA_DPORT = 29;
export const RTA_NH_ID = 30;

/** Route types (rtm_type), by the names `ip` prints; the index is the kernel's number. */
export const ROUTE_TYPES = [
  'unspec',
  'unicast',
  'local',
  'broadcast',
  'anycast',
  'multicast',
  'blackhole',
  'unreachable',
  'prohibit',
  'throw',
  'nat',
  'xresolve',
] as const;
export type RouteType = (typeof ROUTE_TYPES)[number];
export const RTN_UNSPEC = 0;
export const RTN_UNICAST = 1;
export const RTN_LOCAL = 2;
export const RTN_BROADCAST = 3;
export const RTN_ANYCAST = 4;
export const RTN_MULTICAST = 5;
export const RTN_BLACKHOLE = 6;
export const RTN_UNREACHABLE = 7;
export const RTN_PROHIBIT = 8;
export const RTN_THROW = 9;
export const RTN_NAT = 10;
export const RTN_XRESOLVE = 11;

/** Who installed a route (rtm_protocol). */
export const RTPROT_UNSPEC = 0;
export const RTPROT_REDIRECT = 1;
export const RTPROT_KERNEL = 2;
export const RTPROT_BOOT = 3;
export const RTPROT_STATIC = 4;
export const RTPROT_RA = 9;
export const RTPROT_DHCP = 16;

/** Reserved routing tables; RTA_TABLE carries any table, rtm_table only those below 256. */
export const RT_TABLE_UNSPEC = 0;
export const RT_TABLE_COMPAT = 252;
export const RT_TABLE_DEFAULT = 253;
export const RT_TABLE_MAIN = 254;
export const RT_TABLE_LOCAL = 255;

/** rtnexthop and rtm_flags bits (RTNH_F_*); of these a request may only set ONLINK. */
export const RTNH_F_DEAD = 0x01;
export const RTNH_F_PERVASIVE = 0x02;
export const RTNH_F_ONLINK = 0x04;
export const RTNH_F_OFFLOAD = 0x08;
export const RTNH_F_LINKDOWN = 0x10;
export const RTNH_F_UNRESOLVED = 0x20;
export const RTNH_F_TRAP = 0x40;

/** The rtm_flags bits above the nexthop ones (RTM_F_*). */
export const RTM_F_NOTIFY = 0x100;
export const RTM_F_CLONED = 0x200;
export const RTM_F_EQUALIZE = 0x400;
export const RTM_F_PREFIX = 0x800;
export const RTM_F_LOOKUP_TABLE = 0x1000;
export const RTM_F_FIB_MATCH = 0x2000;
export const RTM_F_OFFLOAD = 0x4000;
export const RTM_F_TRAP = 0x8000;

/** Members of RTA_METRICS (RTAX_*), by the names route objects use for them. */
export const RTAX = {
  lock: 1,
  mtu: 2,
  window: 3,
  rtt: 4,
  rttvar: 5,
  ssthresh: 6,
  cwnd: 7,
  advmss: 8,
  reordering: 9,
  hoplimit: 10,
  initcwnd: 11,
  features: 12,
  rtoMin: 13,
  initrwnd: 14,
  quickack: 15,
  fastopenNoCookie: 17,
} as const;
export type RouteMetricName = keyof typeof RTAX;
/** RTAX_CC_ALGO: the congestion control name, the one metric that is text. */
export const RTAX_CC_ALGO = 16;
