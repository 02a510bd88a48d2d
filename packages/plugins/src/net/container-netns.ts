/**
 * Opening the container's namespace named by CNI_NETNS, with the reference's message when it
 * cannot be (`failed to open netns "<path>": ...`).
 */
import { NetNS } from '@tscni/netlink/netns';

/**
 * @example const ns = openNetns(args.netns); try { ... } finally { ns.close(); }
 */
export function openNetns(path: string): NetNS {
  try {
    return NetNS.open(path);
  } catch (e) {
    throw new Error(`failed to open netns ${JSON.stringify(path)}: ${(e as Error).message}`, { cause: e });
  }
}
