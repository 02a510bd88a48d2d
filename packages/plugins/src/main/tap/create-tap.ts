/**
 * Making the tap device inside the container under a temporary name (reference §2.9). With
 * both owner and group the reference asks netlink for a tap with a virtio-net header; without
 * them, or with an SELinux label, it runs `ip tuntap`, which makes one without. tscni makes
 * both kinds itself through /dev/net/tun, except with a label: the label applies to what a
 * process executes next, so that path still execs `ip` under it.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { withNetNS, type NetNS } from '@tscni/netlink/netns';
import { deleteLink, setLink } from '@tscni/netlink/rtnl/link';
import { withRtnlSocket } from '@tscni/netlink/rtnl/socket';
import { createTuntap } from '@tscni/netlink/tuntap';

export interface TapSpec {
  name: string;
  multiQueue: boolean;
  mtu: number;
  mac?: string;
  owner?: number;
  group?: number;
  selinuxContext: string;
}

function ip(args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.error) throw new Error(`failed to run command ip: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`failed to run command ${r.stdout}${r.stderr}: exit status ${r.status ?? 1}`);
}

/** The reference's createTapWithIptool, run under the SELinux exec label. */
function createLabelled(spec: TapSpec): void {
  try {
    writeFileSync('/proc/thread-self/attr/exec', spec.selinuxContext);
  } catch (e) {
    throw new Error(`failed set socket label: ${(e as Error).message}`, { cause: e });
  }
  try {
    const add = ['tuntap', 'add', 'mode', 'tap', 'name', spec.name];
    if (spec.multiQueue) add.push('multi_queue');
    if (spec.owner !== undefined) add.push('user', String(spec.owner));
    if (spec.group !== undefined) add.push('group', String(spec.group));
    ip(add);
    const set = ['link', 'set', spec.name];
    if (spec.mtu !== 0) set.push('mtu', String(spec.mtu));
    if (spec.mac !== undefined) set.push('address', spec.mac);
    ip(set);
  } finally {
    // The label stays on this thread for every later exec (in tscni-server: other requests'
    // iptables and delegates); a lone newline resets it to the default.
    try {
      writeFileSync('/proc/thread-self/attr/exec', '\n');
    } catch {
      // Setting it worked, so resetting does too; nothing better to do if not.
    }
  }
}

/**
 * Creates the tap `spec.name` in `ns` with its MTU and MAC.
 *
 * @example createTap(containerNS, { name: 'veth1a2b3c4d', multiQueue: false, mtu: 0, selinuxContext: '' })
 */
export function createTap(ns: NetNS, spec: TapSpec): void {
  if (spec.selinuxContext !== '') {
    withNetNS(ns, () => createLabelled(spec));
    return;
  }
  try {
    createTuntap({
      name: spec.name,
      mode: 'tap',
      multiQueue: spec.multiQueue,
      vnetHdr: spec.owner !== undefined && spec.group !== undefined,
      ...(spec.owner !== undefined ? { owner: spec.owner } : {}),
      ...(spec.group !== undefined ? { group: spec.group } : {}),
      netns: ns,
    });
  } catch (e) {
    throw new Error(`failed to create tap: ${(e as Error).message}`, { cause: e });
  }
  if (spec.mtu === 0 && spec.mac === undefined) return;
  withRtnlSocket({ netns: ns }, (rt) => {
    try {
      setLink(rt, spec.name, { ...(spec.mtu !== 0 ? { mtu: spec.mtu } : {}), ...(spec.mac !== undefined ? { mac: spec.mac } : {}) });
    } catch (e) {
      try {
        deleteLink(rt, spec.name);
      } catch {
        // The error below is the one to report.
      }
      throw new Error(`failed to create tap: ${(e as Error).message}`, { cause: e });
    }
  });
}
