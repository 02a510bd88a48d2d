import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CniError } from '@tscni/spec/errors';
import { loadBandwidthConf, rateBurstError } from './config.js';
import { ifbName, subnetMatch, tbfParams } from './shaping.js';

const conf = (o: object): string => JSON.stringify({ cniVersion: '1.0.0', name: 'net', type: 'bandwidth', ...o });

describe('bandwidth numbers', () => {
  it('computes tbf rate, buffer and limit as the reference (tc: rate 1Mbit burst 12500b lat 25ms)', () => {
    assert.deepEqual(tbfParams(1_000_000, 100_000, 15.625), { rate: 125000, burst: 12500, buffer: 1562500, limit: 15625 });
    // Go truncates at every conversion: 7 bits are 0 bytes, 1001 bits 125 bytes.
    assert.deepEqual(tbfParams(1001, 1001, 15.625), { rate: 125, burst: 125, buffer: 15625000, limit: 128 });
    assert.deepEqual(tbfParams(8e9, 8e6, 15.625), { rate: 1e9, burst: 1e6, buffer: 15625, limit: 26000000 });
  });
  it('names the ifb bwp + sha512(network name + container ID), 15 characters', () => {
    assert.equal(ifbName('bwnet', 'ctr1'), 'bwpea62040b30ca');
    assert.equal(ifbName('bwnet', 'ctr1').length, 15);
    assert.notEqual(ifbName('bwnet', 'ctr2'), ifbName('bwnet', 'ctr1'));
  });
  it('builds u32 keys of a subnet per non-zero mask word, on source or destination', () => {
    assert.deepEqual(subnetMatch('10.0.0.0/8', 'dst'), { family: 4, keys: [{ mask: 0xff000000, val: 0x0a000000, off: 16 }] });
    assert.deepEqual(subnetMatch('192.168.1.7/24', 'src'), { family: 4, keys: [{ mask: 0xffffff00, val: 0xc0a80100, off: 12 }] });
    assert.deepEqual(subnetMatch('0.0.0.0/0', 'dst'), { family: 4, keys: [] });
    // The reference's own example: fd00:db8:abcd:1234:e000::/68 at 24, 28, 32.
    assert.deepEqual(subnetMatch('fd00:db8:abcd:1234:e000::/68', 'dst'), {
      family: 6,
      keys: [
        { mask: 0xffffffff, val: 0xfd000db8, off: 24 },
        { mask: 0xffffffff, val: 0xabcd1234, off: 28 },
        { mask: 0xf0000000, val: 0xe0000000, off: 32 },
      ],
    });
    assert.equal(subnetMatch('fd00::/16', 'src').keys[0]!.off, 8);
  });
});

describe('bandwidth config', () => {
  it('takes the top-level block when any of its keys is present, else runtimeConfig.bandwidth', () => {
    const rc = { runtimeConfig: { bandwidth: { ingressRate: 8000, ingressBurst: 800 } } };
    assert.equal(loadBandwidthConf(conf(rc)).bandwidth?.ingressRate, 8000);
    assert.equal(loadBandwidthConf(conf({ ...rc, egressRate: null })).bandwidth?.ingressRate, 0);
    assert.equal(loadBandwidthConf(conf({ ...rc, EGRESSRATE: 16, egressBurst: 8 })).bandwidth?.egressRate, 16);
    assert.equal(loadBandwidthConf(conf({ runtimeConfig: { bandWidth: { egressRate: 1, egressBurst: 1 } } })).bandwidth?.egressRate, 1);
    assert.equal(loadBandwidthConf(conf({})).bandwidth, undefined);
  });
  it('says what the reference says about rate and burst, with code 7', () => {
    assert.equal(rateBurstError(1, 0), 'if rate is set, burst must also be set');
    assert.equal(rateBurstError(0, 1), 'if burst is set, rate must also be set');
    assert.equal(rateBurstError(1, 8 * (2 ** 32 - 1)), 'burst cannot be more than 4GB');
    assert.equal(rateBurstError(1, 8 * (2 ** 32 - 2)), undefined);
    const cases: [object, string][] = [
      [{ ingressRate: 1000 }, 'if rate is set, burst must also be set'],
      [{ runtimeConfig: { bandwidth: { egressBurst: 1000 } } }, 'if burst is set, rate must also be set'],
      [{ egressRate: 1, egressBurst: 2 ** 40 }, 'burst cannot be more than 4GB'],
      [{ egressRate: 1, egressBurst: 1, shapedSubnets: ['10.0.0.0/8'], unshapedSubnets: ['10.1.0.0/16'] }, 'unshapedSubnets and shapedSubnets cannot be both specified, one of them should be discarded'],
      [{ egressRate: 1, egressBurst: 1, unshapedSubnets: ['10.0.0.0'] }, 'bad subnet "10.0.0.0" provided, details invalid CIDR address: 10.0.0.0'],
    ];
    for (const [c, msg] of cases) {
      assert.throws(() => loadBandwidthConf(conf(c)), (e: unknown) => e instanceof CniError && e.code === 7 && e.msg === msg, msg);
    }
  });
  it('rejects negative, fractional and non-numeric values with code 7 naming the field', () => {
    for (const [c, field] of [
      [{ ingressRate: -1, ingressBurst: 1 }, 'ingressRate'],
      [{ egressRate: 1.5, egressBurst: 1 }, 'egressRate'],
      [{ runtimeConfig: { bandwidth: { ingressBurst: '1' } } }, 'runtimeConfig.bandwidth.ingressBurst'],
      [{ runtimeConfig: { bandwidth: 5 } }, 'runtimeConfig.bandwidth'],
      [{ shapedSubnets: [1] }, 'shapedSubnets.0'],
    ] as const) {
      assert.throws(() => loadBandwidthConf(conf(c)), (e: unknown) => e instanceof CniError && e.code === 7 && e.msg.includes(field), field);
    }
  });
});
