import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { withRtnlSocket } from '@tscni/netlink/rtnl/socket';
import { scratchNetns, type ScratchNetns } from '@tscni/netlink/testing/scratch-netns';
import { routeInterfaceTo } from './route-get.js';

describe('routeInterfaceTo', () => {
  let ns: ScratchNetns;
  before(() => {
    ns = scratchNetns('tscni-rtget-');
    ns.exec('ip', ['link', 'add', 'rg0', 'type', 'veth', 'peer', 'name', 'rg1']);
    ns.exec('ip', ['addr', 'add', '10.77.0.1/24', 'dev', 'rg0']);
    ns.exec('ip', ['link', 'set', 'rg0', 'up']);
    ns.exec('ip', ['link', 'set', 'rg1', 'up']);
    ns.exec('ip', ['link', 'set', 'lo', 'up']);
    ns.exec('ip', ['route', 'add', '10.78.0.0/16', 'dev', 'rg1', 'table', '100']);
    ns.exec('ip', ['rule', 'add', 'to', '10.78.0.0/16', 'table', '100']);
  });
  after(() => ns?.remove());

  it('names the interface the kernel routes an address through, rules and tables included', () => {
    withRtnlSocket({ netns: ns.path }, (rt) => {
      assert.equal(routeInterfaceTo(rt, '10.77.0.9'), 'rg0');
      assert.equal(routeInterfaceTo(rt, '10.78.3.4'), 'rg1');
      assert.equal(routeInterfaceTo(rt, '10.77.0.1'), 'lo');
      assert.equal(routeInterfaceTo(rt, '::1'), 'lo');
    });
  });

  it('is undefined without a route', () => {
    withRtnlSocket({ netns: ns.path }, (rt) => {
      assert.equal(routeInterfaceTo(rt, '192.0.2.1'), undefined);
      assert.equal(routeInterfaceTo(rt, '2001:db8::1'), undefined);
    });
  });
});
