import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { withNetNS } from '@tscni/netlink/netns';
import { scratchNetns, type ScratchNetns } from '@tscni/netlink/testing/scratch-netns';
import { enableIPForward, familiesOf } from './forward.js';

describe('enableIPForward', () => {
  let ns: ScratchNetns;
  before(() => {
    ns = scratchNetns('tscni-fwd-');
  });
  after(() => ns?.remove());

  it('turns forwarding on per family, in the namespace it runs in', () => {
    ns.exec('sysctl', ['-qw', 'net.ipv4.ip_forward=0', 'net.ipv6.conf.all.forwarding=0']);
    withNetNS(ns.path, () => enableIPForward([4]));
    assert.equal(ns.exec('cat', ['/proc/sys/net/ipv4/ip_forward']).trim(), '1');
    assert.equal(ns.exec('cat', ['/proc/sys/net/ipv6/conf/all/forwarding']).trim(), '0');
    withNetNS(ns.path, () => enableIPForward(familiesOf(['10.0.0.2/24', 'fd00::2/64'])));
    assert.equal(ns.exec('cat', ['/proc/sys/net/ipv6/conf/all/forwarding']).trim(), '1');
  });

  it('names the families of addresses', () => {
    assert.deepEqual([...familiesOf(['10.0.0.2/24', '::ffff:10.0.0.3/120', 'fd00::2/64', 'bogus'])].sort(), [4, 6]);
  });
});
