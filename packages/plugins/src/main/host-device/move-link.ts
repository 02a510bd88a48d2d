/**
 * Moving a host device into a container under the container's interface name, and back under
 * its own name, as the reference (HEAD) does: every rename happens in a temporary namespace,
 * so that neither namespace ever shows an in-between name (udev and NetworkManager race with
 * rapid renames), and the original name rides along in the link's alias. Each step is undone
 * when a later one fails, so a failed move leaves the device where and as it was.
 */
import { hostNetNS, type NetNS } from '@tscni/netlink/netns';
import { isNotFound } from '@tscni/netlink/rtnl/errors';
import { getLink, setLink, type Link } from '@tscni/netlink/rtnl/link';
import { RtnlSocket } from '@tscni/netlink/rtnl/socket';
import { openTempNetNS } from '../../net/temp-netns.js';

const why = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Runs the steps in order; when one throws, the undos of those done run newest first. */
class Undo {
  private readonly steps: (() => void)[] = [];

  push(step: () => void): void {
    this.steps.push(step);
  }

  run(): void {
    for (const step of this.steps.reverse()) {
      try {
        step();
      } catch {
        // Best effort: the original error is what the caller reports.
      }
    }
  }
}

/** Step `what`, its failure reported as `message: <kernel's reason>`. */
function step<T>(message: string, what: () => T): T {
  try {
    return what();
  } catch (e) {
    throw new Error(`${message}: ${why(e)}`, { cause: e });
  }
}

/** Runs `fn` with a socket in each namespace; when it throws, its undos run while they are open. */
function withSockets<T>(namespaces: NetNS[], undo: Undo, fn: (...sockets: RtnlSocket[]) => T): T {
  const sockets: RtnlSocket[] = [];
  try {
    for (const ns of namespaces) sockets.push(RtnlSocket.open({ netns: ns }));
    return fn(...sockets);
  } catch (e) {
    undo.run();
    throw e;
  } finally {
    sockets.forEach((s) => s.close());
  }
}

/**
 * Moves `hostDev` (a link of the calling namespace) into `container` as `ifName`, its old
 * name in the alias, and brings it up there. Returns the link as the container sees it.
 *
 * @example const link = moveLinkIn(hostDev, containerNS, 'eth0') // link.name === 'eth0'
 */
export function moveLinkIn(hostDev: Link, container: NetNS, ifName: string): Link {
  const name = hostDev.name;
  const temp = openTempNetNS();
  const undo = new Undo();
  try {
    return withSockets([hostNetNS(), temp, container], undo, (host, tmp, cont) => {
      // Moving a link between namespaces downs it: put the host's up state back on failure.
      if (hostDev.flags.up) undo.push(() => setLink(host!, name, { up: true }));
      step(`failed to move ${JSON.stringify(name)} to tempNS`, () => setLink(host!, hostDev.index, { netnsFd: temp.fd }));
      // A device left in the temporary namespace would vanish (virtual) or reach the
      // initial namespace (physical) when it closes, so it is moved back explicitly.
      undo.push(() => setLink(tmp!, name, { netnsFd: hostNetNS().fd }));
      const inTemp = step(`failed to find ${JSON.stringify(name)} in tempNS`, () => getLink(tmp!, name));
      step(`failed to rename host device ${JSON.stringify(name)} to ${JSON.stringify(ifName)}`, () => setLink(tmp!, inTemp.index, { name: ifName }));
      undo.push(() => setLink(tmp!, ifName, { name }));
      step(`failed to set alias to ${JSON.stringify(name)}`, () => setLink(tmp!, inTemp.index, { alias: name }));
      undo.push(() => setLink(tmp!, ifName, { alias: '' }));
      step(`failed to move ${JSON.stringify(ifName)} (host: ${JSON.stringify(name)}) to container NS`, () =>
        setLink(tmp!, inTemp.index, { netnsFd: container.fd }),
      );
      undo.push(() => setLink(cont!, ifName, { netnsFd: temp.fd }));
      const inCont = step(`failed to find ${JSON.stringify(ifName)} in container NS`, () => getLink(cont!, ifName));
      step(`failed to set ${JSON.stringify(ifName)} up`, () => setLink(cont!, inCont.index, { up: true }));
      return getLink(cont!, inCont.index);
    });
  } finally {
    temp.close();
  }
}

/** What moveLinkOut found: it moved the device back, or the container had no such link. */
export type MoveOut = 'moved' | 'no-link';

/**
 * Moves `ifName` out of `container` into the calling namespace under the name saved in its
 * alias, alias cleared. The device is left down: its state before ADD is not known.
 *
 * @example moveLinkOut(containerNS, 'eth0') // 'moved'; the host has its device back
 */
export function moveLinkOut(container: NetNS, ifName: string): MoveOut {
  const temp = openTempNetNS();
  const undo = new Undo();
  try {
    return withSockets([temp, container], undo, (tmp, cont) => {
      let dev: Link;
      try {
        dev = getLink(cont!, ifName);
      } catch (e) {
        if (isNotFound(e)) return 'no-link';
        throw new Error(`failed to find ${JSON.stringify(ifName)} in containerNS: ${why(e)}`, { cause: e });
      }
      const name = dev.alias ?? '';
      if (name === '') throw new Error(`failed to find original ifname for ${JSON.stringify(ifName)} (alias is not set)`);
      if (dev.flags.up) undo.push(() => setLink(cont!, ifName, { up: true }));
      step(`failed to move ${JSON.stringify(ifName)} to tempNS`, () => setLink(cont!, dev.index, { netnsFd: temp.fd }));
      undo.push(() => setLink(tmp!, ifName, { netnsFd: container.fd }));
      const inTemp = step(`failed to find ${JSON.stringify(ifName)} in tempNS`, () => getLink(tmp!, ifName));
      step(`failed to rename device ${JSON.stringify(ifName)} to ${JSON.stringify(name)}`, () => setLink(tmp!, inTemp.index, { name }));
      undo.push(() => setLink(tmp!, name, { name: ifName }));
      step(`failed to unset alias of ${JSON.stringify(name)}`, () => setLink(tmp!, inTemp.index, { alias: '' }));
      undo.push(() => setLink(tmp!, name, { alias: name }));
      step(`failed to move ${JSON.stringify(name)} to hostNS`, () => setLink(tmp!, inTemp.index, { netnsFd: hostNetNS().fd }));
      return 'moved';
    });
  } finally {
    temp.close();
  }
}
