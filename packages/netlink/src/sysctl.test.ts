import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { withNetNS } from './netns.js';
import { ensureSysctl, readSysctl, sysctlPath, writeSysctl } from './sysctl.js';
import { scratchNetns, type ScratchNetns } from './testing/scratch-netns.js';

describe('sysctl names', () => {
  it("swaps dots and slashes when a dot comes first, as the reference's sysctl package", () => {
    assert.equal(sysctlPath('net.ipv4.ip_forward'), '/proc/sys/net/ipv4/ip_forward');
    assert.equal(sysctlPath('net/ipv4/ip_forward'), '/proc/sys/net/ipv4/ip_forward');
    assert.equal(sysctlPath('net.ipv4.conf.eth0/100.rp_filter'), '/proc/sys/net/ipv4/conf/eth0.100/rp_filter');
    assert.equal(sysctlPath('net/ipv4/conf/eth0.100/rp_filter'), '/proc/sys/net/ipv4/conf/eth0.100/rp_filter');
    assert.equal(sysctlPath('/net/core/somaxconn'), '/proc/sys/net/core/somaxconn');
  });
});

describe('sysctl in a namespace', () => {
  let ns: ScratchNetns;
  before(() => {
    ns = scratchNetns('tscni-sysctl-');
  });
  after(() => ns?.remove());

  it('reads and writes the namespace’s values, not the host’s', () => {
    const hostValue = readSysctl('net.ipv4.conf.default.arp_notify');
    const other = hostValue === '1' ? '0' : '1';
    withNetNS(ns.path, () => writeSysctl('net.ipv4.conf.default.arp_notify', other));
    assert.equal(ns.exec('cat', ['/proc/sys/net/ipv4/conf/default/arp_notify']).trim(), other);
    assert.equal(withNetNS(ns.path, () => readSysctl('net/ipv4/conf/default/arp_notify')), other);
    assert.equal(readSysctl('net.ipv4.conf.default.arp_notify'), hostValue);
  });

  it('writes only when the value differs', () => {
    withNetNS(ns.path, () => {
      ensureSysctl('net.ipv6.conf.lo.disable_ipv6', '1');
      assert.equal(readSysctl('net.ipv6.conf.lo.disable_ipv6'), '1');
      ensureSysctl('net.ipv6.conf.lo.disable_ipv6', '1');
      ensureSysctl('net.ipv6.conf.lo.disable_ipv6', '0');
    });
    assert.equal(ns.exec('cat', ['/proc/sys/net/ipv6/conf/lo/disable_ipv6']).trim(), '0');
  });

  it('fails with the file error for an unknown name', () => {
    assert.throws(() => withNetNS(ns.path, () => readSysctl('net.ipv4.conf.nosuchif.forwarding')), { code: 'ENOENT' });
  });
});
