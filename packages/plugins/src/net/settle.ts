/**
 * Waiting for IPv6 duplicate address detection to finish, as the reference's
 * ip.SettleAddresses: poll every 50 ms until no address of the link is tentative, fail at once
 * on a DAD failure, and on timeout fail only when the link is up (a down link never settles).
 */
import { listAddrs } from '@tscni/netlink/rtnl/addr';
import { getLink } from '@tscni/netlink/rtnl/link';
import type { RtnlSocket } from '@tscni/netlink/rtnl/socket';
import { sleepSync } from './sleep.js';

const POLL_MS = 50;

/**
 * @example settleAddresses(rt, 'eth0', 5000)
 */
export function settleAddresses(rt: RtnlSocket, ifName: string, timeoutMs: number): void {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const addrs = listAddrs(rt, { link: ifName, family: 6 });
    const failed = addrs.find((a) => a.flags.dadfailed);
    if (failed) throw new Error(`link ${ifName} has address ${failed.address}/${failed.prefixLength} in DADFAILED state`);
    if (!addrs.some((a) => a.flags.tentative)) return;
    if (Date.now() >= deadline) {
      if (getLink(rt, ifName).operState !== 'up') return;
      throw new Error(`link ${ifName} still has tentative addresses after ${Math.round(timeoutMs / 1000)} seconds`);
    }
    sleepSync(POLL_MS);
  }
}
