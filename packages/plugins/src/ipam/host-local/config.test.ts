import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CniError } from '@tscni/spec/errors';
import { formatAddr } from './addr.js';
import { loadHostLocalConfig } from './config.js';
import { rangeSetText } from './range.js';

const conf = (ipam: object, extra: object = {}, cniVersion = '1.0.0'): string => JSON.stringify({ cniVersion, name: 'n', ipam: { type: 'host-local', ...ipam }, ...extra });

function fails(stdin: string, code: number, msg: string, cniArgs = ''): void {
  assert.throws(
    () => loadHostLocalConfig(stdin, cniArgs),
    (e: unknown) => e instanceof CniError && e.code === code && e.msg === msg,
  );
}

describe('host-local config', () => {
  it('fills in the defaults of a legacy range', () => {
    const c = loadHostLocalConfig(conf({ subnet: '10.1.2.0/24' }), '');
    assert.equal(c.dataDir, '/var/lib/cni/networks');
    assert.equal(rangeSetText(c.rangeSets[0]!), '10.1.2.1-10.1.2.254');
    assert.equal(formatAddr(c.rangeSets[0]![0]!.gateway), '10.1.2.1');
  });

  it('orders range sets runtime ipRanges, legacy range, ranges', () => {
    const c = loadHostLocalConfig(
      conf({ subnet: '10.2.0.0/24', ranges: [[{ subnet: '10.3.0.0/24' }], [{ subnet: 'fd00::/64', rangeStart: 'fd00::10' }]] }, { runtimeConfig: { ipRanges: [[{ subnet: '10.1.0.0/24' }]] } }),
      '',
    );
    assert.deepEqual(c.rangeSets.map(rangeSetText), ['10.1.0.1-10.1.0.254', '10.2.0.1-10.2.0.254', '10.3.0.1-10.3.0.254', 'fd00::10-fd00::ffff:ffff:ffff:ffff']);
  });

  it('takes IPv6 ends without excluding a broadcast, and rangeStart/rangeEnd/gateway as given', () => {
    const c = loadHostLocalConfig(conf({ ranges: [[{ subnet: '10.0.0.0/30' }], [{ subnet: 'fd00::/126', gateway: 'fd00::3' }]] }), '');
    assert.deepEqual(c.rangeSets.map(rangeSetText), ['10.0.0.1-10.0.0.2', 'fd00::1-fd00::3']);
    assert.equal(formatAddr(c.rangeSets[1]![0]!.gateway), 'fd00::3');
  });

  it('collects requested IPs from CNI_ARGS, args.cni.ips and runtimeConfig.ips, once each', () => {
    const c = loadHostLocalConfig(conf({ subnet: '10.0.0.0/24' }, { args: { cni: { ips: ['10.0.0.7/24', '10.0.0.5'] } }, runtimeConfig: { ips: ['10.0.0.8'] } }), 'IgnoreUnknown=1;IP=10.0.0.5;X=y');
    assert.deepEqual(c.requested.map(formatAddr), ['10.0.0.5', '10.0.0.7', '10.0.0.8']);
  });

  it('matches keys without regard to case, as Go does', () => {
    const c = loadHostLocalConfig(JSON.stringify({ cniVersion: '1.0.0', name: 'n', IPAM: { Subnet: '10.0.0.0/24', RANGESTART: '10.0.0.9', DataDir: '/tmp/x' } }), '');
    assert.equal(rangeSetText(c.rangeSets[0]!), '10.0.0.9-10.0.0.254');
    assert.equal(c.dataDir, '/tmp/x');
  });

  const bad: [string, object, string, object?, string?][] = [
    ['no ipam', {}, "IPAM config missing 'ipam' key"],
    ['no ranges', { ipam: {} }, 'no IP ranges specified'],
    ['empty range set', { ipam: { ranges: [[]] } }, 'invalid range set 0: empty range set'],
    ['range without subnet', { ipam: { ranges: [[{}]] } }, 'invalid range set 0: IP <nil> not v4 nor v6'],
    ['bad CIDR', { ipam: { subnet: '10.0.0.0/33' } }, 'invalid CIDR address: 10.0.0.0/33'],
    ['bad IP', { ipam: { subnet: '10.0.0.0/24', rangeStart: 'x' } }, 'invalid IP address: x'],
    ['host bits', { ipam: { subnet: '10.0.0.1/24' } }, 'invalid range set 0: Network has host bits set. For a subnet mask of length 24 the network address is 10.0.0.0'],
    ['/31', { ipam: { subnet: '10.0.0.0/31' } }, 'invalid range set 0: Network 10.0.0.0/31 too small to allocate from'],
    ['/127', { ipam: { subnet: 'fd00::/127' } }, 'invalid range set 0: Network fd00::/127 too small to allocate from'],
    ['start outside', { ipam: { subnet: '10.0.0.0/24', rangeStart: '10.0.1.1' } }, 'invalid range set 0: RangeStart 10.0.1.1 not in network 10.0.0.0/24'],
    ['end outside', { ipam: { subnet: '10.0.0.0/24', rangeEnd: '10.0.1.1' } }, 'invalid range set 0: RangeEnd 10.0.1.1 not in network 10.0.0.0/24'],
    ['end before start', { ipam: { subnet: '10.0.0.0/24', rangeStart: '10.0.0.9', rangeEnd: '10.0.0.5' } }, 'invalid range set 0: RangeStart 10.0.0.9 not in network 10.0.0.0/24'],
    ['overlap in set', { ipam: { ranges: [[{ subnet: '10.0.0.0/24' }, { subnet: '10.0.0.0/25' }]] } }, 'invalid range set 0: subnets 10.0.0.1-10.0.0.254 and 10.0.0.1-10.0.0.126 overlap'],
    ['mixed families', { ipam: { ranges: [[{ subnet: '10.0.0.0/24' }, { subnet: 'fd00::/64' }]] } }, 'invalid range set 0: mixed address families'],
    ['overlapping sets', { ipam: { ranges: [[{ subnet: '10.0.0.0/24' }], [{ subnet: '10.0.0.0/25' }]] } }, 'range set 0 overlaps with 1'],
    ['bad route', { ipam: { subnet: '10.0.0.0/24', routes: [{ dst: 'x' }] } }, 'invalid CIDR address: x'],
    ['bad args ip', { ipam: { subnet: '10.0.0.0/24' }, args: { cni: { ips: ['bad'] } } }, 'invalid IP address bad'],
    ['empty args ip', { ipam: { subnet: '10.0.0.0/24' }, args: { cni: { ips: [''] } } }, 'cannot understand ip: IP <nil> not v4 nor v6'],
    ['bad CNI_ARGS IP', { ipam: { subnet: '10.0.0.0/24' } }, 'ARGS: error parsing value of pair "IP=bad": invalid IP address bad', {}, 'IP=bad'],
    ['unknown CNI_ARGS', { ipam: { subnet: '10.0.0.0/24' } }, 'ARGS: unknown args ["K8S_POD_NAME=x"]', {}, 'K8S_POD_NAME=x'],
  ];
  for (const [what, body, msg, , cniArgs] of bad) {
    it(`fails with the reference's message and code 999: ${what}`, () => {
      fails(JSON.stringify({ cniVersion: '1.0.0', name: 'n', ...body }), 999, msg, cniArgs);
    });
  }

  it('refuses two range sets of one family before 0.3.0', () => {
    fails(conf({ ranges: [[{ subnet: '10.0.0.0/24' }], [{ subnet: '10.1.0.0/24' }]] }, {}, '0.2.0'), 999, 'CNI version 0.2.0 does not support more than 1 address per family');
    assert.equal(loadHostLocalConfig(conf({ ranges: [[{ subnet: '10.0.0.0/24' }], [{ subnet: 'fd00::/64' }]] }, {}, '0.2.0'), '').rangeSets.length, 2);
  });

  it('names a field of the wrong JSON type (code 7)', () => {
    assert.throws(() => loadHostLocalConfig(conf({ subnet: 5 }), ''), (e: unknown) => e instanceof CniError && e.code === 7 && /ipam\.subnet/.test(e.msg));
    assert.throws(() => loadHostLocalConfig(conf({ ranges: [[{ subnet: '10.0.0.0/24', gateway: 1 }]] }), ''), (e: unknown) => e instanceof CniError && e.code === 7 && /ipam\.ranges\.0\.0\.gateway/.test(e.msg));
  });
});
