import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { withNetNS } from '@tscni/netlink/netns';
import { scratchNetns, type ScratchNetns } from '@tscni/netlink/testing/scratch-netns';
import { conntrackEntries, deleteConntrackEntriesForDstPort, PROTOCOL_UDP } from './conntrack.js';

describe('conntrack over ctnetlink', () => {
  let ns: ScratchNetns;
  before(() => {
    ns = scratchNetns('tscni-ct-');
    ns.exec('ip', ['link', 'set', 'lo', 'up']);
    // A rule that looks at connection state makes the namespace track connections.
    ns.exec('nft', ['add table ip tscni_ct; add chain ip tscni_ct out { type filter hook output priority 0 ; }; add rule ip tscni_ct out ct state new accept']);
  });
  after(() => ns?.remove());

  const udp = (port: number) => ns.exec('bash', ['-c', `echo x > /dev/udp/127.0.0.1/${port}`]);
  const udpPorts = () => withNetNS(ns.path, () => conntrackEntries(4)).filter((e) => e.protocol === PROTOCOL_UDP).map((e) => e.dstPort);

  it('lists UDP entries and deletes those of one destination port only', () => {
    udp(5353);
    udp(5354);
    const listed = withNetNS(ns.path, () => conntrackEntries(4)).find((e) => e.dstPort === 5353)!;
    assert.deepEqual({ ...listed, srcPort: 0 }, { family: 4, protocol: PROTOCOL_UDP, src: '127.0.0.1', dst: '127.0.0.1', srcPort: 0, dstPort: 5353 });
    assert.equal(withNetNS(ns.path, () => deleteConntrackEntriesForDstPort(5353, PROTOCOL_UDP, 4)), 1);
    assert.deepEqual(udpPorts().sort(), [5354]);
    assert.equal(withNetNS(ns.path, () => deleteConntrackEntriesForDstPort(5353, PROTOCOL_UDP, 4)), 0);
    assert.equal(withNetNS(ns.path, () => deleteConntrackEntriesForDstPort(5354, 6, 4)), 0);
    assert.deepEqual(withNetNS(ns.path, () => conntrackEntries(6)), []);
  });
});
