/**
 * The IPAM result of a lease: the address with the subnet mask, the first router as gateway,
 * routes (option 121 alone when present, as RFC 3442 says; otherwise option 33 plus a default
 * route through the first router) and, unlike the reference, the DNS the server gave.
 */
import type { DNS, Result100, Route } from '@tscni/spec/result-types';
import type { Lease } from './protocol.js';

/** A classless route through `0.0.0.0` is on-link: the reference (HEAD) gives it scope link. */
const SCOPE_LINK = 253;

function routesOf(lease: Lease): Route[] {
  if (lease.classlessRoutes && lease.classlessRoutes.length > 0) {
    return lease.classlessRoutes.map((r) => (r.gw === '0.0.0.0' ? { dst: r.dst, scope: SCOPE_LINK } : { dst: r.dst, gw: r.gw }));
  }
  const routes: Route[] = lease.staticRoutes.map((r) => ({ dst: r.dst, gw: r.gw }));
  const router = lease.routers[0];
  if (router !== undefined) routes.push({ dst: '0.0.0.0/0', gw: router });
  return routes;
}

function dnsOf(lease: Lease): DNS {
  const dns: DNS = {};
  if (lease.dns.length > 0) dns.nameservers = [...lease.dns];
  if (lease.domain) dns.domain = lease.domain;
  if (lease.search.length > 0) dns.search = [...lease.search];
  return dns;
}

/**
 * @example leaseResult(lease, undefined).ips // [{ address: '10.99.0.52/24', gateway: '10.99.0.1' }]
 */
export function leaseResult(lease: Lease, priority: number | undefined): Result100 {
  const gateway = lease.routers[0];
  const result: Result100 = {
    cniVersion: '1.1.0',
    ips: [{ address: `${lease.address}/${lease.prefixLength}`, ...(gateway !== undefined ? { gateway } : {}) }],
  };
  const routes = routesOf(lease).map((r) => (priority !== undefined ? { ...r, priority } : r));
  if (routes.length > 0) result.routes = routes;
  const dns = dnsOf(lease);
  if (Object.keys(dns).length > 0) result.dns = dns;
  return result;
}
