import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Rule } from '@tscni/netlink/rtnl/rule';
import { sourceAddresses, staticGateways } from './config.js';
import { nextFreeTable, subnetContains } from './routing.js';

const rule = (table: number): Rule => ({ family: 4, priority: 1, table, action: 'toTable', flags: 0, invert: false, tos: 0 });

describe('sbr units', () => {
  it('static gateways: one per family, canonical, the reference\'s messages as code 7', () => {
    assert.deepEqual(staticGateways([]), {});
    assert.deepEqual(staticGateways(['FD00::0:1', '10.0.0.1']), { 6: 'fd00::1', 4: '10.0.0.1' });
    assert.deepEqual(staticGateways(['::ffff:10.0.0.1']), { 4: '10.0.0.1' });
    assert.throws(() => staticGateways(['10.0.0.1', '10.0.0.2']), { code: 7, msg: 'gateways list contains multiple IPv4 addresses: 10.0.0.1 and 10.0.0.2' });
    assert.throws(() => staticGateways(['']), { code: 7, msg: 'invalid static gateway IP address: ' });
  });

  it('addresses of the interface or of none; an index past the list counts as a match', () => {
    const prev = {
      cniVersion: '1.1.0',
      interfaces: [{ name: 'veth0' }, { name: 'eth0' }],
      ips: [
        { address: '10.0.0.2/24', gateway: '10.0.0.1', interface: 1 },
        { address: '10.9.0.2/24', interface: 0 },
        { address: 'fd00::2/64' },
        { address: '10.8.0.2/24', interface: 7 },
      ],
    };
    assert.deepEqual(sourceAddresses('eth0', prev), [
      { ip: '10.0.0.2', family: 4, cidr: '10.0.0.2/24', gateway: '10.0.0.1' },
      { ip: 'fd00::2', family: 6, cidr: 'fd00::2/64' },
      { ip: '10.8.0.2', family: 4, cidr: '10.8.0.2/24' },
    ]);
    assert.deepEqual(sourceAddresses('net1', { ...prev, ips: [prev.ips[0]!] }), []);
    assert.throws(() => sourceAddresses('eth0', { cniVersion: '1.1.0' }), { code: 7, msg: 'No IP addresses supplied on interface: eth0' });
  });

  it('subnet containment as Go\'s IPNet.Contains', () => {
    assert.equal(subnetContains('10.1.0.5/24', '10.1.0.1'), true);
    assert.equal(subnetContains('10.1.0.5/24', '10.1.1.1'), false);
    assert.equal(subnetContains('10.1.0.5/24', undefined), false);
    assert.equal(subnetContains('10.1.0.5/24', 'fd00::1'), false);
    assert.equal(subnetContains('fd00::5/64', 'fd00::1'), true);
    assert.equal(subnetContains('fd00::5/64', '10.1.0.1'), false);
    assert.equal(subnetContains('0.0.0.0/0', '192.0.2.1'), true);
  });

  it('the first table from a start that no rule names', () => {
    assert.equal(nextFreeTable([], 100), 100);
    assert.equal(nextFreeTable([rule(255), rule(254), rule(100), rule(101), rule(103)], 100), 102);
    assert.equal(nextFreeTable([rule(100), rule(101), rule(103)], 103), 104);
  });
});
