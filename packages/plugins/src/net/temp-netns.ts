/**
 * A temporary, nameless network namespace (the reference's ns.TempNetNS): host-device renames
 * a device there rather than in the host, so that udev and NetworkManager never see the
 * in-between names. It lives as long as its file descriptor: closing it destroys virtual
 * devices left inside and returns physical ones to the initial namespace, so callers move
 * what they put there out before closing.
 */
import { CLONE_NEWNET, libc } from '@tscni/netlink/libc';
import { currentNetNSPath, hostNetNS, NetNS, withNetNS } from '@tscni/netlink/netns';

/**
 * Creates a fresh namespace without entering it (the calling thread comes back at once).
 *
 * @example const tmp = openTempNetNS(); try { setLinkNetns(rt, 'eth1', tmp.fd) } finally { tmp.close() }
 */
export function openTempNetNS(): NetNS {
  // unshare moves only this thread; the window's exit setns brings it back to the host.
  return withNetNS(hostNetNS(), () => {
    libc().unshare(CLONE_NEWNET);
    return NetNS.open(currentNetNSPath());
  });
}
