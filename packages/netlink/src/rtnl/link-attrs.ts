/**
 * Link message numbers (linux/if_link.h, linux/if.h): IFLA_* attributes, the IFLA_INFO_* nest
 * that names a link's kind, IFF_* flags and operational states. Kind-specific numbers live in
 * link-kinds.ts, bridge-port ones in bridge-port.ts.
 */

export const IFLA_ADDRESS = 1;
export const IFLA_BROADCAST = 2;
export const IFLA_IFNAME = 3;
export const IFLA_MTU = 4;
export const IFLA_LINK = 5;
export const IFLA_QDISC = 6;
export const IFLA_MASTER = 10;
export const IFLA_PROTINFO = 12;
export const IFLA_TXQLEN = 13;
export const IFLA_OPERSTATE = 16;
export const IFLA_LINKMODE = 17;
export const IFLA_LINKINFO = 18;
export const IFLA_NET_NS_PID = 19;
export const IFLA_IFALIAS = 20;
export const IFLA_AF_SPEC = 26;
export const IFLA_GROUP = 27;
export const IFLA_NET_NS_FD = 28;
export const IFLA_EXT_MASK = 29;
export const IFLA_PROMISCUITY = 30;
export const IFLA_NUM_TX_QUEUES = 31;
export const IFLA_NUM_RX_QUEUES = 32;
export const IFLA_CARRIER = 33;
export const IFLA_LINK_NETNSID = 37;
export const IFLA_MIN_MTU = 50;
export const IFLA_MAX_MTU = 51;
export const IFLA_PROP_LIST = 52;
export const IFLA_ALT_IFNAME = 53;
export const IFLA_PERM_ADDRESS = 54;

/** Inside IFLA_LINKINFO. */
export const IFLA_INFO_KIND = 1;
export const IFLA_INFO_DATA = 2;
export const IFLA_INFO_SLAVE_KIND = 4;
export const IFLA_INFO_SLAVE_DATA = 5;

/** Interface flags (ifi_flags). */
export const IFF_UP = 0x1;
export const IFF_BROADCAST = 0x2;
export const IFF_LOOPBACK = 0x8;
export const IFF_POINTOPOINT = 0x10;
export const IFF_RUNNING = 0x40;
export const IFF_NOARP = 0x80;
export const IFF_PROMISC = 0x100;
export const IFF_ALLMULTI = 0x200;
export const IFF_MASTER = 0x400;
export const IFF_SLAVE = 0x800;
export const IFF_MULTICAST = 0x1000;
export const IFF_LOWER_UP = 0x10000;
export const IFF_DORMANT = 0x20000;

/** RFC 2863 operational states (IF_OPER_*), by number. */
export const OPER_STATES = ['unknown', 'notpresent', 'down', 'lowerlayerdown', 'testing', 'dormant', 'up'] as const;
export type OperState = (typeof OPER_STATES)[number];

/** The ifi_flags a decoded link reports, by name. */
export interface LinkFlags {
  readonly up: boolean;
  readonly broadcast: boolean;
  readonly loopback: boolean;
  readonly pointToPoint: boolean;
  readonly running: boolean;
  readonly noArp: boolean;
  readonly promisc: boolean;
  readonly allMulti: boolean;
  readonly master: boolean;
  readonly slave: boolean;
  readonly multicast: boolean;
  readonly lowerUp: boolean;
  readonly dormant: boolean;
}

/**
 * The named view of ifi_flags.
 *
 * @example linkFlags(IFF_UP | IFF_RUNNING).running // true
 */
export function linkFlags(flags: number): LinkFlags {
  const on = (bit: number): boolean => (flags & bit) !== 0;
  return {
    up: on(IFF_UP),
    broadcast: on(IFF_BROADCAST),
    loopback: on(IFF_LOOPBACK),
    pointToPoint: on(IFF_POINTOPOINT),
    running: on(IFF_RUNNING),
    noArp: on(IFF_NOARP),
    promisc: on(IFF_PROMISC),
    allMulti: on(IFF_ALLMULTI),
    master: on(IFF_MASTER),
    slave: on(IFF_SLAVE),
    multicast: on(IFF_MULTICAST),
    lowerUp: on(IFF_LOWER_UP),
    dormant: on(IFF_DORMANT),
  };
}

