/**
 * The kernel's route lookup for one destination (`ip route get`, Go's netlink.RouteGet):
 * rules and every table are consulted, so the answer is the interface packets to that address
 * really leave by. portmap uses it to find the host interface that needs `route_localnet`.
 */
import { AF_INET, AF_INET6, RTM_GETROUTE, RTM_NEWROUTE } from '@tscni/netlink/rtnl/constants';
import { attr } from '@tscni/netlink/rtnl/attrs';
import { getLink } from '@tscni/netlink/rtnl/link';
import { RTA_DST } from '@tscni/netlink/rtnl/route-consts';
import { decodeRoute, rtMsg } from '@tscni/netlink/rtnl/route-msg';
import type { RtnlSocket } from '@tscni/netlink/rtnl/socket';
import { ipFamily } from '@tscni/netlink/rtnl/values';

/**
 * The name of the interface the kernel routes `ip` through, or undefined when there is no
 * route (or the route has no output interface, e.g. `unreachable`).
 *
 * @example withRtnlSocket({}, (rt) => routeInterfaceTo(rt, '10.22.0.2')) // 'cni0'
 */
export function routeInterfaceTo(rt: RtnlSocket, ip: string): string | undefined {
  const family = ipFamily(ip) === AF_INET ? AF_INET : AF_INET6;
  const header = { family, dstLength: family === AF_INET ? 32 : 128, srcLength: 0, tos: 0, table: 0, protocol: 0, scope: 0, type: 0, flags: 0 };
  let oif: number | undefined;
  try {
    const replies = rt.request(RTM_GETROUTE, 0, rtMsg.encode(header), [attr.ip(RTA_DST, ip)]);
    const reply = replies.find((m) => m.type === RTM_NEWROUTE);
    oif = reply === undefined ? undefined : decodeRoute(reply.payload).oif;
  } catch {
    // No route (ENETUNREACH, EHOSTUNREACH): nothing to name, as RouteGet's error is ignored.
    return undefined;
  }
  if (oif === undefined || oif === 0) return undefined;
  try {
    return getLink(rt, oif).name;
  } catch {
    return undefined;
  }
}
