/**
 * The lease a DHCPACK grants (RFC 2131 4.4.1, option meanings from RFC 2132), in the form the
 * daemon stores and turns into a CNI result.
 */
import { Option } from '../wire/codes.js';
import { maskPrefixLength } from '../wire/ipv4.js';
import { optionValue, type DhcpPacket } from '../wire/packet.js';
import { decodeDomainSearch } from '../wire/domain-search.js';
import { decodeClasslessRoutes, decodeStaticRoutes, type OptionRoute } from '../wire/routes.js';
import { decodeAddresses, decodeText, decodeUint32 } from '../wire/values.js';

export interface Lease {
  /** yiaddr of the ACK. */
  address: string;
  /** From option 1 (required). */
  prefixLength: number;
  /** Option 54. */
  serverID: string;
  /** Option 3. */
  routers: string[];
  /** Option 6. */
  dns: string[];
  /** Option 15. */
  domain?: string;
  /** Option 119. */
  search: string[];
  /** Option 121, when the server sent a valid one. */
  classlessRoutes?: OptionRoute[];
  /** Option 33, empty when absent. */
  staticRoutes: OptionRoute[];
  /** Option 51 (3600 when absent, the reference's default). */
  leaseTimeSec: number;
  /** Option 58 (half the lease when absent). */
  renewalSec: number;
  /** Option 59 (7/8 of the lease when absent). */
  rebindingSec: number;
  /** Epoch ms when the ACK arrived: T1, T2 and expiry count from here. */
  acquiredAt: number;
}

/** The lease time that means "forever" (RFC 2132 9.2). */
export const INFINITE_LEASE = 0xffffffff;
/** The reference's lease time when the server sends none. */
const DEFAULT_LEASE_SEC = 3600;

/** Decodes an optional option; a malformed one counts as absent and is reported through `warn`. */
function optional<T>(p: DhcpPacket, code: number, decode: (v: Uint8Array) => T, warn: (line: string) => void): T | undefined {
  const value = optionValue(p, code);
  if (value === undefined) return undefined;
  try {
    return decode(value);
  } catch (e) {
    warn(`ignoring option ${code} of the DHCPACK: ${(e as Error).message}`);
    return undefined;
  }
}

/**
 * The lease in `ack`. Throws when the ACK has no usable subnet mask (the reference's error)
 * or no server identifier (unless `knownServer` is given, as for a renewal).
 *
 * @example leaseFromAck(ack, Date.now()).address // '10.123.0.53'
 */
export function leaseFromAck(ack: DhcpPacket, acquiredAt: number, warn: (line: string) => void = () => {}, knownServer?: string): Lease {
  const mask = optionValue(ack, Option.SubnetMask);
  if (mask === undefined) throw new Error('DHCP option Subnet Mask not found in DHCPACK');
  const prefixLength = maskPrefixLength(mask);
  if (prefixLength === undefined) throw new Error(`DHCP option Subnet Mask ${[...mask].join('.')} in DHCPACK is not a valid netmask`);
  const serverID = optional(ack, Option.ServerIdentifier, (v) => decodeAddresses(v, 'server identifier')[0]!, warn) ?? knownServer;
  if (serverID === undefined) throw new Error('DHCP option Server Identifier not found in DHCPACK');
  const leaseTimeSec = optional(ack, Option.IPAddressLeaseTime, (v) => decodeUint32(v, 'lease time'), warn) ?? DEFAULT_LEASE_SEC;
  // RFC 2131 4.4.5 defaults; a server's T2 past the lease or T1 past T2 is brought back in order.
  const rebindingSec = Math.min(
    leaseTimeSec,
    optional(ack, Option.RebindingTime, (v) => decodeUint32(v, 'rebinding time'), warn) ?? Math.floor(leaseTimeSec * 0.875),
  );
  const renewalSec = Math.min(rebindingSec, optional(ack, Option.RenewalTime, (v) => decodeUint32(v, 'renewal time'), warn) ?? Math.floor(leaseTimeSec / 2));
  const domain = optional(ack, Option.DomainName, decodeText, warn);
  const classlessRoutes = optional(ack, Option.ClasslessStaticRoute, decodeClasslessRoutes, warn);
  return {
    address: ack.yiaddr,
    prefixLength,
    serverID,
    routers: optional(ack, Option.Router, (v) => decodeAddresses(v, 'routers'), warn) ?? [],
    dns: optional(ack, Option.DomainNameServer, (v) => decodeAddresses(v, 'domain name servers'), warn) ?? [],
    ...(domain !== undefined && domain !== '' ? { domain } : {}),
    search: optional(ack, Option.DomainSearch, decodeDomainSearch, warn) ?? [],
    ...(classlessRoutes !== undefined ? { classlessRoutes } : {}),
    staticRoutes: optional(ack, Option.StaticRoute, decodeStaticRoutes, warn) ?? [],
    leaseTimeSec,
    renewalSec,
    rebindingSec,
    acquiredAt,
  };
}

/** The moments (epoch ms) a lease moves on: renew at T1, rebind at T2, expire. */
export interface LeaseTimes {
  t1: number;
  t2: number;
  expiry: number;
}

/**
 * T1, T2 and expiry of `lease`; T1 and T2 get `fuzz` (RFC 2131 4.4.5: avoid clients renewing
 * in step): each moves by up to 1 s or 2% of its time, whichever is smaller, `random()` in [0, 1).
 * An infinite lease never moves on (Infinity).
 *
 * @example leaseTimes(lease, Math.random).t1
 */
export function leaseTimes(lease: Lease, random: () => number): LeaseTimes {
  if (lease.leaseTimeSec === INFINITE_LEASE) return { t1: Infinity, t2: Infinity, expiry: Infinity };
  const fuzz = (sec: number) => (random() * 2 - 1) * Math.min(1000, sec * 20);
  const expiry = lease.acquiredAt + lease.leaseTimeSec * 1000;
  const t2 = Math.min(expiry, lease.acquiredAt + lease.rebindingSec * 1000 + fuzz(lease.rebindingSec));
  const t1 = Math.min(t2, lease.acquiredAt + lease.renewalSec * 1000 + fuzz(lease.renewalSec));
  return { t1, t2, expiry };
}
