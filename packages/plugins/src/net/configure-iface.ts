/**
 * Configuring a container interface from an IPAM result, step for step as the reference's
 * ipam.ConfigureIface: addresses of this interface (IPv6 enabled first when needed), link up,
 * IPv6 DAD settled when there is an IPv6 gateway, then every route added the ECMP way
 * (a second route to the same destination joins it instead of replacing it).
 */
import { addAddr } from '@tscni/netlink/rtnl/addr';
import { getLink, setLinkUp } from '@tscni/netlink/rtnl/link';
import { addRouteEcmp } from '@tscni/netlink/rtnl/route';
import { RtnlSocket } from '@tscni/netlink/rtnl/socket';
import { withNetNS, type NetNS } from '@tscni/netlink/netns';
import { readSysctl, writeSysctl } from '@tscni/netlink/sysctl';
import { formatIP, ipFamily, parseCIDR } from '@tscni/spec/ip';
import { toCurrentResult } from '@tscni/spec/result-convert';
import type { Result } from '@tscni/spec/result-types';
import { settleAddresses } from './settle.js';

/** How long IPv6 addresses may stay tentative (the reference's bound). */
export const SETTLE_TIMEOUT_MS = 5000;

const SCOPE_NAMES: Readonly<Record<number, string>> = { 0: 'universe', 200: 'site', 253: 'link', 254: 'host', 255: 'nowhere' };

function enableIPv6(ifName: string): void {
  for (const dev of ['lo', ifName]) {
    const key = `net/ipv6/conf/${dev}/disable_ipv6`;
    let value: string | undefined;
    try {
      value = readSysctl(key);
    } catch {
      continue; // No IPv6 on this device: the address add will say so.
    }
    if (value === '0') continue;
    try {
      writeSysctl(key, '0');
    } catch (e) {
      throw new Error(`failed to enable IPv6 for interface "${dev}" (${key}=${value}): ${(e as Error).message}`, { cause: e });
    }
  }
  try {
    writeSysctl(`net/ipv6/conf/${ifName}/keep_addr_on_down`, '1');
  } catch {
    // Older kernels lack it; addresses then only vanish if the link goes down.
  }
}

/**
 * Applies `result` to `ifName` inside `ns`. The IPv6 DAD wait happens outside the namespace
 * window (through a netlink socket opened inside it), so a long-running process serves
 * other requests meanwhile.
 *
 * @example await configureIface(containerNS, 'eth0', ipamResult)
 */
export async function configureIface(ns: NetNS | string, ifName: string, result: Result): Promise<void> {
  const res = toCurrentResult(result);
  const interfaces = res.interfaces ?? [];
  if (interfaces.length === 0) throw new Error('no interfaces to configure');
  const rt = RtnlSocket.open({ netns: ns });
  try {
    const { link, v4gw, v6gw } = withNetNS(ns, () => {
      const link = getLink(rt, ifName);
      let v4gw: string | undefined;
      let v6gw: string | undefined;
      let ipv6Enabled = false;
      for (const ipc of res.ips ?? []) {
        if (ipc.interface === undefined) continue;
        if (ipc.interface < 0 || ipc.interface >= interfaces.length || interfaces[ipc.interface]!.name !== ifName) {
          throw new Error(`failed to add IP addr ${ipc.address} to "${ifName}": invalid interface index`);
        }
        const cidr = parseCIDR(ipc.address);
        if (!cidr) throw new Error(`failed to add IP addr ${ipc.address} to "${ifName}": invalid CIDR address`);
        const family = ipFamily(cidr.ip);
        if (family === 6 && !ipv6Enabled) {
          // Sysctls under /proc/sys are the namespace's only from inside the window.
          enableIPv6(ifName);
          ipv6Enabled = true;
        }
        try {
          addAddr(rt, link.index, { address: formatIP(cidr.ip), prefixLength: family === 4 && cidr.ip.length === 16 ? cidr.prefix - 96 : cidr.prefix });
        } catch (e) {
          throw new Error(`failed to add IP addr ${ipc.address} to "${ifName}": ${(e as Error).message}`, { cause: e });
        }
        if (ipc.gateway !== undefined) {
          if (family === 4) v4gw ??= ipc.gateway;
          else v6gw ??= ipc.gateway;
        }
      }
      try {
        setLinkUp(rt, link.index);
      } catch (e) {
        throw new Error(`failed to set "${ifName}" UP: ${(e as Error).message}`, { cause: e });
      }
      return { link, v4gw, v6gw };
    });
    if (v6gw !== undefined) await settleAddresses(rt, ifName, SETTLE_TIMEOUT_MS);
    for (const r of res.routes ?? []) {
      const dst = parseCIDR(r.dst);
      const gw = r.gw ?? (dst && ipFamily(dst.ip) === 6 ? v6gw : v4gw);
      try {
        addRouteEcmp(rt, {
          dst: r.dst,
          oif: link.index,
          ...(gw !== undefined ? { gateway: gw } : {}),
          ...(r.priority ? { priority: r.priority } : {}),
          ...(r.table !== undefined ? { table: r.table } : {}),
          ...(r.scope !== undefined ? { scope: r.scope } : {}),
        });
      } catch (e) {
        const scope = SCOPE_NAMES[r.scope ?? 0] ?? String(r.scope);
        throw new Error(
          `failed to add route '${r.dst} via ${gw ?? '<nil>'} dev ${ifName} metric ${r.priority ?? 0} (Scope: ${scope}, Table: ${r.table ?? 0})': ${(e as Error).message}`,
          { cause: e },
        );
      }
    }
  } finally {
    rt.close();
  }
}
