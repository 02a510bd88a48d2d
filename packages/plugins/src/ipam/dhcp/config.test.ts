import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { clientIdentifier, loadDhcpConfig } from './config.js';
import { parseOptionName } from './options.js';
import { leaseResult } from './result.js';
import { fakeLease } from './testing/fake-client.js';

const conf = (ipam: object): string => JSON.stringify({ cniVersion: '1.0.0', name: 'dnet', type: 'macvlan', ipam: { type: 'dhcp', ...ipam } });

describe('dhcp config', () => {
  it('defaults: the reference socket, routers and mask requested first, then DNS', () => {
    const c = loadDhcpConfig(conf({}), '');
    assert.equal(c.socketPath, '/run/cni/dhcp.sock');
    assert.deepEqual(c.request, [3, 1, 6, 15]);
    assert.deepEqual(c.provide, []);
    assert.equal(c.priority, undefined);
  });

  it('reads provide values and fromArg keys (the loose CNI_ARGS split), request and skipDefault', () => {
    const c = loadDhcpConfig(
      conf({
        daemonSocketPath: '/tmp/x.sock',
        provide: [{ option: 'host-name', fromArg: 'K8S_POD_NAME' }, { option: '60', value: 'tscni' }, { option: 'user-class', fromArg: 'MISSING' }],
        request: [{ option: '121' }, { option: 'domain-search' }],
        priority: 100,
      }),
      'IgnoreUnknown=1;K8S_POD_NAME=my=pod',
    );
    assert.equal(c.socketPath, '/tmp/x.sock');
    assert.deepEqual(c.provide.map((p) => [p.code, new TextDecoder().decode(p.value)]), [[12, 'my=pod'], [60, 'tscni']]);
    assert.deepEqual(c.request, [3, 1, 6, 15, 121, 119]);
    assert.equal(c.priority, 100);
    const skip = loadDhcpConfig(conf({ request: [{ skipDefault: true }, { option: 'routers' }, { option: 'subnet-mask' }] }), '');
    assert.deepEqual(skip.request, [3, 1]);
  });

  it('refuses an option it cannot name, in the reference words, with code 7 and the place', () => {
    assert.throws(() => parseOptionName('bogus'), /Can not parse option: strconv.ParseUint: parsing "bogus": invalid syntax/);
    assert.throws(() => parseOptionName('256'), /value out of range/);
    assert.throws(
      () => loadDhcpConfig(conf({ request: [{ option: 'x-1' }] }), ''),
      (e: unknown) => (e as { code: number }).code === 7 && /ipam\.request\.0\.option/.test((e as Error).message),
    );
    assert.throws(() => loadDhcpConfig(conf({ provide: [{ option: 12, value: 'x' }] }), ''), (e: unknown) => (e as { code: number }).code === 7);
    assert.throws(() => loadDhcpConfig(conf({ provide: [{ option: 'host-name', value: 'x'.repeat(256) }] }), ''), /256 bytes, at most 255/);
  });

  it('derives the reference client identifier', () => {
    assert.equal(Buffer.from(clientIdentifier('d1', 'dnet', 'eth0')).toString('hex'), '00' + Buffer.from('d1/dnet/eth0').toString('hex'));
    assert.equal(clientIdentifier('x'.repeat(300), 'n', 'eth0').length, 255);
  });
});

describe('dhcp result', () => {
  it('is the reference result for a plain lease: address/mask, gateway, default route', () => {
    assert.deepEqual(leaseResult(fakeLease(52), undefined), {
      cniVersion: '1.1.0',
      ips: [{ address: '10.99.0.52/24', gateway: '10.99.0.1' }],
      routes: [{ dst: '0.0.0.0/0', gw: '10.99.0.1' }],
    });
  });

  it('takes option 121 alone when present (on-link routes get scope link), option 33 plus default otherwise, and priority on all', () => {
    const classless = leaseResult(fakeLease(52, { classlessRoutes: [{ dst: '10.0.0.0/8', gw: '10.99.0.254' }, { dst: '10.99.0.0/24', gw: '0.0.0.0' }] }), 5);
    assert.deepEqual(classless.routes, [
      { dst: '10.0.0.0/8', gw: '10.99.0.254', priority: 5 },
      { dst: '10.99.0.0/24', scope: 253, priority: 5 },
    ]);
    const classful = leaseResult(fakeLease(52, { staticRoutes: [{ dst: '172.16.0.0/16', gw: '10.99.0.9' }] }), undefined);
    assert.deepEqual(classful.routes, [
      { dst: '172.16.0.0/16', gw: '10.99.0.9' },
      { dst: '0.0.0.0/0', gw: '10.99.0.1' },
    ]);
  });

  it('returns the DNS the server gave (the reference returns none)', () => {
    const r = leaseResult(fakeLease(52, { dns: ['10.99.0.1'], domain: 'example.test', search: ['a.test', 'b.test'] }), undefined);
    assert.deepEqual(r.dns, { nameservers: ['10.99.0.1'], domain: 'example.test', search: ['a.test', 'b.test'] });
    assert.equal(leaseResult(fakeLease(52, { routers: [] }), undefined).routes, undefined);
  });
});
