/**
 * The bridge plugin's VLAN options against the kernel. They need bridge vlan_filtering, which
 * the development machines' kernel lacks: this file runs in the qemu lane (#5), where it does.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { scratchNetns } from '@tscni/netlink/testing/scratch-netns';
import { sandbox } from '../../testing/sandbox.js';
import { BR, addrs, conf } from './testing.js';

/** Whether this kernel can make a bridge with vlan_filtering (the reference's VLAN options need it). */
function vlanFilteringSupported(): boolean {
  const ns = scratchNetns('tscni-br-vf-');
  try {
    ns.exec('ip', ['link', 'add', 'vf0', 'type', 'bridge', 'vlan_filtering', '1']);
    return true;
  } catch {
    return false;
  } finally {
    ns.remove();
  }
}

describe('bridge VLANs (need vlan_filtering)', () => {
  const supported = vlanFilteringSupported();
  const skip = supported ? false : 'this kernel has no bridge vlan_filtering: runs in the qemu lane (#5)';
  const cleanup: (() => void)[] = [];
  after(() => cleanup.forEach((f) => f()));

  it('vlan: PVID untagged on the port, VLAN 1 removed, the gateway on <bridge>.<vlan>; trunk VIDs tagged', { skip }, () => {
    const sb = sandbox('tscni-brv-');
    cleanup.push(() => sb.remove());
    const config = conf(sb, { isGateway: true, vlan: 100, vlanTrunk: [{ minID: 200, maxID: 202 }] });
    const add = sb.run('bridge', { command: 'ADD', config });
    assert.equal(add.code, 0, add.stdout);
    const r = add.json as { interfaces: { name: string }[] };
    assert.equal(r.interfaces.length, 4);
    assert.equal(r.interfaces[3]!.name, `${BR}.100`);
    assert.deepEqual(addrs(sb.host, `${BR}.100`), ['10.88.0.1/24']);
    const vlans = JSON.parse(sb.host.exec('bridge', ['-json', 'vlan', 'show', 'dev', r.interfaces[1]!.name])) as { vlans: { vlan: number; flags?: string[] }[] }[];
    const port = vlans[0]!.vlans;
    assert.deepEqual(
      port.map((v) => [v.vlan, (v.flags ?? []).sort()]),
      [
        [100, ['PVID', 'Egress Untagged'].sort()],
        [200, []],
        [201, []],
        [202, []],
      ],
    );
    assert.equal(sb.run('bridge', { command: 'DEL', config }).code, 0);
  });

  it('preserveDefaultVlan keeps VLAN 1 on the port next to the PVID', { skip }, () => {
    const sb = sandbox('tscni-brv1-');
    cleanup.push(() => sb.remove());
    const config = conf(sb, { vlan: 300, preserveDefaultVlan: true });
    const add = sb.run('bridge', { command: 'ADD', config });
    assert.equal(add.code, 0, add.stdout);
    const port = (add.json as { interfaces: { name: string }[] }).interfaces[1]!.name;
    const vlans = JSON.parse(sb.host.exec('bridge', ['-json', 'vlan', 'show', 'dev', port])) as { vlans: { vlan: number; flags?: string[] }[] }[];
    assert.deepEqual(
      vlans[0]!.vlans.map((v) => [v.vlan, (v.flags ?? []).sort()]),
      [
        [1, ['Egress Untagged']],
        [300, ['PVID', 'Egress Untagged'].sort()],
      ],
    );
    assert.equal(sb.run('bridge', { command: 'CHECK', config: { ...config, prevResult: add.json } }).code, 0);
    assert.equal(sb.run('bridge', { command: 'DEL', config }).code, 0);
  });
});
