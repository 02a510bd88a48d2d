/**
 * Kernel features the plugins' tests need but a machine's kernel may lack (the development
 * machines have no ipvlan): found by trying once in a throw-away namespace, so that a test
 * skips with the reason the full-kernel lane (test/vm) looks for, and runs there.
 */
import { createLink, getLink } from '@tscni/netlink/rtnl/link';
import { lacks, probeKernel } from '@tscni/netlink/rtnl/testing/scratch-rtnl';

let ipvlan: string | undefined | null = null;

/**
 * Why ipvlan tests cannot run here, or undefined when the kernel makes an ipvlan on a veth.
 *
 * @example it('ADD in l3 mode', { skip: ipvlanMissing() }, () => { ... })
 */
export function ipvlanMissing(): string | undefined {
  if (ipvlan === null) {
    const ok = probeKernel((s) => {
      createLink(s.rt, { name: 'probe0', info: { kind: 'veth', peer: { name: 'probe1' } } });
      createLink(s.rt, { name: 'probe2', info: { kind: 'ipvlan', mode: 'l2' }, parentIndex: getLink(s.rt, 'probe0').index });
    });
    ipvlan = ok ? undefined : lacks('ipvlan');
  }
  return ipvlan;
}

let vrf: string | undefined | null = null;

/**
 * Why VRF tests cannot run here, or undefined when the kernel makes a VRF device.
 *
 * @example it('ADD enslaves eth0 to the VRF', { skip: vrfMissing() }, () => { ... })
 */
export function vrfMissing(): string | undefined {
  if (vrf === null) {
    const ok = probeKernel((s) => createLink(s.rt, { name: 'probe0', info: { kind: 'vrf', table: 10 } }));
    vrf = ok ? undefined : lacks('vrf');
  }
  return vrf;
}
