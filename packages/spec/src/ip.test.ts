import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalCIDR, canonicalIP, ipFamily, parseIP } from './ip.js';

describe('IP text', () => {
  it('prints IPv6 in canonical form: lower case, longest zero run compressed, first on ties', () => {
    assert.equal(canonicalIP('ABCD:1234:FFFF:0:0:0:0:CDDE'), 'abcd:1234:ffff::cdde');
    assert.equal(canonicalIP('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1');
    assert.equal(canonicalIP('2001:db8:0:1:1:1:1:1'), '2001:db8:0:1:1:1:1:1');
    assert.equal(canonicalIP('0:0:0:0:0:0:0:0'), '::');
    assert.equal(canonicalIP('::1'), '::1');
    assert.equal(canonicalIP('::102:304'), '::102:304');
  });

  it('prints IPv4-mapped IPv6 as IPv4 and counts it as family 4', () => {
    assert.equal(canonicalIP('::ffff:10.1.2.3'), '10.1.2.3');
    assert.equal(canonicalIP('::FFFF:a01:203'), '10.1.2.3');
    assert.equal(ipFamily(parseIP('::ffff:10.1.2.3')!), 4);
    assert.equal(ipFamily(parseIP('::10.1.2.3')!), 6);
  });

  it('refuses what Go refuses', () => {
    for (const bad of ['', '1.2.3', '1.2.3.4.5', '01.2.3.4', '256.1.1.1', '1::2::3', '1:2:3:4:5:6:7:8::', '12345::', 'fe80::1%eth0', ' 1.2.3.4']) {
      assert.equal(canonicalIP(bad), undefined, bad);
    }
  });

  it('keeps host bits in CIDRs and checks the prefix length', () => {
    assert.equal(canonicalCIDR('10.1.2.3/24'), '10.1.2.3/24');
    assert.equal(canonicalCIDR('10.1.2.3/024'), '10.1.2.3/24');
    assert.equal(canonicalCIDR('2001:DB8::5/64'), '2001:db8::5/64');
    assert.equal(canonicalCIDR('::ffff:10.1.2.3/120'), '10.1.2.3/24');
    assert.equal(canonicalCIDR('::ffff:10.1.2.3/64'), '10.1.2.3/0');
    for (const bad of ['10.1.2.3', '10.1.2.3/33', '1.2.3/45', '::/129', '10.1.2.3/-1', '10.1.2.3/']) assert.equal(canonicalCIDR(bad), undefined, bad);
  });
});
