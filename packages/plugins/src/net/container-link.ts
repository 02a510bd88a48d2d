/**
 * Removing a plugin's interface from a container on DEL, idempotently as the reference's
 * plugins do: a namespace or link that is already gone is success, since DEL may be repeated
 * or come after the runtime has destroyed the namespace.
 */
import { NetNS, NetNSPathError } from '@tscni/netlink/netns';
import { isNotFound } from '@tscni/netlink/rtnl/errors';
import { deleteLink } from '@tscni/netlink/rtnl/link';
import { withRtnlSocket } from '@tscni/netlink/rtnl/socket';

/** What removeContainerLink found: it deleted the link, or the link or namespace was gone. */
export type ContainerLinkRemoval = 'deleted' | 'no-link' | 'no-netns';

/**
 * Deletes `ifName` inside the namespace at `netnsPath` (a veth takes its host end along).
 * A path that is not a namespace is still an error (the reference's "unknown FS magic").
 *
 * @example removeContainerLink('/run/netns/c1', 'eth0') // 'deleted', then 'no-link'
 */
export function removeContainerLink(netnsPath: string, ifName: string): ContainerLinkRemoval {
  let ns: NetNS;
  try {
    ns = NetNS.open(netnsPath);
  } catch (e) {
    if (e instanceof NetNSPathError && e.code === 'ENOENT') return 'no-netns';
    throw e;
  }
  try {
    return withRtnlSocket({ netns: ns }, (rt) => {
      try {
        deleteLink(rt, ifName);
        return 'deleted';
      } catch (e) {
        if (isNotFound(e)) return 'no-link';
        throw new Error(`failed to delete ${JSON.stringify(ifName)}: ${(e as Error).message}`, { cause: e });
      }
    });
  } finally {
    ns.close();
  }
}
