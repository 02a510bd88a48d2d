import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { deleteLink, getLink } from './rtnl/link.js';
import { withRtnlSocket } from './rtnl/socket.js';
import { SysError } from './sys-error.js';
import { createTuntap } from './tuntap.js';
import { scratchNetns, type ScratchNetns } from './testing/scratch-netns.js';

interface IpTun {
  ifname: string;
  linkinfo?: { info_kind: string; info_data?: { type: string; pi: boolean; vnet_hdr: boolean; multi_queue: boolean; persist: boolean; user?: string; group?: string } };
}

describe('tun/tap devices', () => {
  let ns: ScratchNetns;
  before(() => {
    ns = scratchNetns('tscni-tap-');
  });
  after(() => ns?.remove());

  const show = (name: string): IpTun => (JSON.parse(ns.exec('ip', ['-j', '-d', 'link', 'show', name])) as IpTun[])[0]!;

  it('creates a persistent tap with owner, group and multiple queues in the namespace', () => {
    createTuntap({ name: 'tap0', mode: 'tap', multiQueue: true, vnetHdr: true, owner: 65534, group: 65534, netns: ns.path });
    const info = show('tap0').linkinfo;
    assert.equal(info?.info_kind, 'tun');
    assert.equal(info?.info_data?.type, 'tap');
    assert.equal(info?.info_data?.multi_queue, true);
    assert.equal(info?.info_data?.vnet_hdr, true);
    assert.equal(info?.info_data?.pi, false);
    assert.equal(info?.info_data?.persist, true);
    assert.equal(info?.info_data?.user, 'nobody');
    assert.equal(info?.info_data?.group, 'nogroup');
    withRtnlSocket({ netns: ns.path }, (rt) => {
      assert.equal(getLink(rt, 'tap0').kind, 'tun');
      deleteLink(rt, 'tap0');
    });
  });

  it('creates a tun device and refuses a taken name', () => {
    createTuntap({ name: 'tun0', mode: 'tun', netns: ns.path });
    assert.equal(show('tun0').linkinfo?.info_data?.type, 'tun');
    // A tun of that name exists: TUNSETIFF attaches to it, and a tap of that name is refused.
    assert.throws(() => createTuntap({ name: 'tun0', mode: 'tap', netns: ns.path }), (e: unknown) => e instanceof SysError && e.op === 'ioctl' && e.code === 'EINVAL');
  });
});
