/**
 * The result objects of every spec version, as plain data. A result's `cniVersion` says
 * which shape it has: 1.0.0/1.1.0, 0.3.0/0.3.1/0.4.0, or 0.1.0/0.2.0.
 */

/** An interface of a 1.x result. */
export interface Interface {
  name: string;
  mac?: string;
  mtu?: number;
  /** The isolation domain (netns path) for an interface in the container; empty on the host. */
  sandbox?: string;
  socketPath?: string;
  pciID?: string;
}

/** An address of a 1.x result: a CIDR with host bits, its gateway and its interface index. */
export interface IPConfig {
  address: string;
  gateway?: string;
  interface?: number;
}

/** A route, shared by every version (1.1.0 added mtu, advmss, priority, table, scope). */
export interface Route {
  dst: string;
  gw?: string;
  mtu?: number;
  advmss?: number;
  priority?: number;
  table?: number;
  scope?: number;
}

export interface DNS {
  nameservers?: string[];
  domain?: string;
  search?: string[];
  options?: string[];
}

/** A 1.0.0 or 1.1.0 result. */
export interface Result100 {
  cniVersion: string;
  interfaces?: Interface[];
  ips?: IPConfig[];
  routes?: Route[];
  dns?: DNS;
}

export interface Interface040 {
  name: string;
  mac?: string;
  sandbox?: string;
}

export interface IPConfig040 {
  /** "4" or "6". */
  version: string;
  interface?: number;
  address: string;
  gateway?: string;
}

/** A 0.3.0, 0.3.1 or 0.4.0 result. */
export interface Result040 {
  cniVersion: string;
  interfaces?: Interface040[];
  ips?: IPConfig040[];
  routes?: Route[];
  dns?: DNS;
}

export interface IPConfig020 {
  ip: string;
  gateway?: string;
  routes?: Route[];
}

/** A 0.1.0 or 0.2.0 result. */
export interface Result020 {
  cniVersion: string;
  ip4?: IPConfig020;
  ip6?: IPConfig020;
  dns?: DNS;
}

export type Result = Result100 | Result040 | Result020;

/** The three result shapes, named by their newest version as the reference's packages are. */
export type ResultFamily = '1.0.0' | '0.4.0' | '0.2.0';

export const FAMILY_VERSIONS: Readonly<Record<ResultFamily, readonly string[]>> = {
  '1.0.0': ['1.0.0', '1.1.0'],
  '0.4.0': ['0.3.0', '0.3.1', '0.4.0'],
  '0.2.0': ['0.1.0', '0.2.0'],
};

/**
 * The shape a version's results have, or undefined for an unknown version.
 *
 * @example familyOf('0.3.1') // '0.4.0'
 */
export function familyOf(version: string): ResultFamily | undefined {
  if (version === '') return '0.2.0';
  for (const [family, versions] of Object.entries(FAMILY_VERSIONS) as [ResultFamily, readonly string[]][]) {
    if (versions.includes(version)) return family;
  }
  return undefined;
}

/**
 * Whether a result has the 1.0.0/1.1.0 shape.
 *
 * @example isResult100({ cniVersion: '1.0.0' }) // true
 */
export function isResult100(r: Result): r is Result100 {
  return familyOf(r.cniVersion) === '1.0.0';
}

/**
 * Whether a result has the 0.3.0/0.3.1/0.4.0 shape.
 *
 * @example isResult040({ cniVersion: '0.3.1' }) // true
 */
export function isResult040(r: Result): r is Result040 {
  return familyOf(r.cniVersion) === '0.4.0';
}

/**
 * Whether a result has the 0.1.0/0.2.0 shape.
 *
 * @example isResult020({ cniVersion: '0.1.0' }) // true
 */
export function isResult020(r: Result): r is Result020 {
  return familyOf(r.cniVersion) === '0.2.0';
}

/**
 * Whether a DNS section has nothing in it, as Go's DNS.IsEmpty.
 *
 * @example isDNSEmpty({ nameservers: [] }) // true
 */
export function isDNSEmpty(dns: DNS | undefined): boolean {
  return !dns || (!dns.nameservers?.length && !dns.domain && !dns.search?.length && !dns.options?.length);
}
