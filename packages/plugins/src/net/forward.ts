/**
 * IP forwarding, as the reference's ip.EnableForward: written only when not already on, so a
 * read-only /proc/sys that is already right does not fail the plugin.
 */
import { ensureSysctl } from '@tscni/netlink/sysctl';
import { ipFamily, parseCIDR } from '@tscni/spec/ip';

/**
 * Turns forwarding on for the families given (in the calling thread's namespace).
 *
 * @example enableIPForward([4])
 */
export function enableIPForward(families: Iterable<4 | 6>): void {
  const set = new Set(families);
  if (set.has(4)) ensureSysctl('net/ipv4/ip_forward', '1');
  if (set.has(6)) ensureSysctl('net/ipv6/conf/all/forwarding', '1');
}

/**
 * The families of a result's addresses (CIDR text), for enableIPForward.
 *
 * @example familiesOf(['10.0.0.2/24', 'fd00::2/64']) // Set {4, 6}
 */
export function familiesOf(addresses: Iterable<string>): Set<4 | 6> {
  const out = new Set<4 | 6>();
  for (const a of addresses) {
    const c = parseCIDR(a);
    if (c) out.add(ipFamily(c.ip));
  }
  return out;
}
