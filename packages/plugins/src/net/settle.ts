/**
 * Waiting for IPv6 duplicate address detection to finish, as the reference's
 * ip.SettleAddresses: poll every 50 ms until no address of the link is tentative, fail at once
 * on a DAD failure, and on timeout fail only when the link is up (a down link never settles).
 *
 * The wait is asynchronous where it can be (a netlink socket opened inside the namespace keeps
 * talking to it outside the window), so that tscni-server goes on with other requests for
 * the second or so DAD takes; inside a window only the synchronous form works.
 */
import { listAddrs } from '@tscni/netlink/rtnl/addr';
import { getLink } from '@tscni/netlink/rtnl/link';
import type { RtnlSocket } from '@tscni/netlink/rtnl/socket';
import { sleep, sleepSync } from './sleep.js';

const POLL_MS = 50;

/** One look at the link: settled (true), still tentative (false), or an error to throw. */
function settled(rt: RtnlSocket, ifName: string, deadline: number, timeoutMs: number): boolean {
  const addrs = listAddrs(rt, { link: ifName, family: 6 });
  const failed = addrs.find((a) => a.flags.dadfailed);
  if (failed) throw new Error(`link ${ifName} has address ${failed.address}/${failed.prefixLength} in DADFAILED state`);
  if (!addrs.some((a) => a.flags.tentative)) return true;
  if (Date.now() < deadline) return false;
  if (getLink(rt, ifName).operState !== 'up') return true;
  throw new Error(`link ${ifName} still has tentative addresses after ${Math.round(timeoutMs / 1000)} seconds`);
}

/**
 * Waits without blocking the event loop; `rt` must have been opened in the link's namespace.
 *
 * @example await settleAddresses(rt, 'eth0', 5000)
 */
export async function settleAddresses(rt: RtnlSocket, ifName: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!settled(rt, ifName, deadline, timeoutMs)) await sleep(POLL_MS);
}

/**
 * The same wait inside a namespace window (which must stay synchronous).
 *
 * @example withNetNS(ns, () => settleAddressesSync(rt, 'eth0', 5000))
 */
export function settleAddressesSync(rt: RtnlSocket, ifName: string, timeoutMs: number): void {
  const deadline = Date.now() + timeoutMs;
  while (!settled(rt, ifName, deadline, timeoutMs)) sleepSync(POLL_MS);
}
