/**
 * Gateways of a bridge network (the reference's calcGateways): every IPAM address belongs to
 * the container interface (index 2); with isGateway an address without a gateway gets its
 * subnet's first address; with isDefaultGateway a default route through that gateway is
 * added per family unless IPAM already gave one with a gateway. The gateways, with the
 * address's prefix, are what goes on the bridge.
 */
import { canonicalCIDR, formatIP, ipFamily, parseCIDR, toIPv4, type IPBytes } from '@tscni/spec/ip';
import type { Result100 } from '@tscni/spec/result-types';

/** The gateways of one family, as `ip/prefix` to put on the bridge. */
export interface FamilyGateways {
  family: 4 | 6;
  gateways: { ip: string; prefix: number }[];
}

/** Index of the container interface in the bridge result: [bridge, host veth, container]. */
export const CONTAINER_IF_INDEX = 2;

function masked(ip: IPBytes, prefix: number): Uint8Array {
  const out = Uint8Array.from(ip);
  for (let bit = prefix; bit < out.length * 8; bit++) out[bit >> 3]! &= ~(0x80 >> (bit & 7));
  return out;
}

function next(ip: Uint8Array): Uint8Array {
  const out = Uint8Array.from(ip);
  for (let i = out.length - 1; i >= 0; i--) {
    out[i] = (out[i]! + 1) & 0xff;
    if (out[i] !== 0) break;
  }
  return out;
}

/**
 * The first address after the subnet's network address (the reference's calcGatewayIP).
 *
 * @example gatewayOf('10.22.0.7/16') // '10.22.0.1'
 */
export function gatewayOf(cidr: string): string {
  const c = parseCIDR(cidr);
  if (!c) throw new Error(`invalid CIDR ${JSON.stringify(cidr)}`);
  const v4 = toIPv4(c.ip);
  const ip = v4 ?? c.ip;
  const prefix = v4 && c.ip.length === 16 ? c.prefix - 96 : c.prefix;
  return formatIP(next(masked(ip, prefix)));
}

/**
 * Fills in the result's gateways, interface indexes and default routes as the config asks,
 * and returns the gateways per family (IPv4 first).
 *
 * @example const [v4, v6] = calcGateways(result, { isGateway: true, isDefaultGateway: false });
 */
export function calcGateways(result: Result100, conf: { isGateway: boolean; isDefaultGateway: boolean }): [FamilyGateways, FamilyGateways] {
  const byFamily = { 4: { family: 4, gateways: [] } as FamilyGateways, 6: { family: 6, gateways: [] } as FamilyGateways };
  const defaultFound = { 4: false, 6: false };
  result.routes ??= [];
  for (const ipc of result.ips ?? []) {
    const c = parseCIDR(ipc.address);
    if (!c) throw new Error(`Unknown IP object: ${JSON.stringify(ipc)}`);
    const family = ipFamily(c.ip);
    const prefix = family === 4 && c.ip.length === 16 ? c.prefix - 96 : c.prefix;
    ipc.interface = CONTAINER_IF_INDEX;
    if (ipc.gateway === undefined && conf.isGateway) ipc.gateway = gatewayOf(ipc.address);
    if (conf.isDefaultGateway && !defaultFound[family]) {
      const dst = family === 4 ? '0.0.0.0/0' : '::/0';
      defaultFound[family] = result.routes.some((r) => r.gw !== undefined && canonicalCIDR(r.dst) === dst);
      if (!defaultFound[family]) {
        result.routes.push({ dst, ...(ipc.gateway !== undefined ? { gw: ipc.gateway } : {}) });
        defaultFound[family] = true;
      }
    }
    if (conf.isGateway && ipc.gateway !== undefined) byFamily[family].gateways.push({ ip: ipc.gateway, prefix });
  }
  return [byFamily[4], byFamily[6]];
}
