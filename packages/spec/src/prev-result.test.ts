import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JsonObject } from './gojson.js';
import { parsePrevResult } from './prev-result.js';

describe('parsePrevResult', () => {
  it('is undefined without a prevResult', () => {
    assert.equal(parsePrevResult({ cniVersion: '1.1.0' }), undefined);
  });

  it('parses a prevResult of the config version', () => {
    const prevResult: JsonObject = {
      cniVersion: '1.0.0',
      interfaces: [{ name: 'eth0', mac: '00:11:22:33:44:55', sandbox: '/proc/3553/ns/net', pciID: '8086:9a01', socketPath: '/path/to/vhost/fd' }],
      ips: [{ version: '4', interface: 0, address: '1.2.3.30/24', gateway: '1.2.3.1' }],
    };
    assert.deepEqual(parsePrevResult({ cniVersion: '1.0.0', prevResult }), {
      cniVersion: '1.0.0',
      interfaces: [{ name: 'eth0', mac: '00:11:22:33:44:55', sandbox: '/proc/3553/ns/net', pciID: '8086:9a01', socketPath: '/path/to/vhost/fd' }],
      ips: [{ interface: 0, address: '1.2.3.30/24', gateway: '1.2.3.1' }],
    });
  });

  it('keeps the prevResult own version within the config version family', () => {
    assert.equal(parsePrevResult({ cniVersion: '1.1.0', prevResult: { cniVersion: '1.0.0' } })?.cniVersion, '1.0.0');
    assert.equal(parsePrevResult({ cniVersion: '0.4.0', prevResult: { cniVersion: '0.3.1' } })?.cniVersion, '0.3.1');
  });

  it('uses the config version when the prevResult has none', () => {
    assert.equal(parsePrevResult({ cniVersion: '0.4.0', prevResult: { ips: [{ version: '4', address: '10.0.0.2/24' }] } })?.cniVersion, '0.4.0');
    assert.equal(parsePrevResult({ prevResult: { ip4: { ip: '10.0.0.2/24' } } })?.cniVersion, '0.1.0');
  });

  it('lets a lowercase cniVersion win over CNIVersion, even when empty, as Go decoding does', () => {
    assert.equal(parsePrevResult({ cniVersion: '1.1.0', prevResult: { CNIVersion: '1.1.0', cniVersion: '1.0.0' } })?.cniVersion, '1.0.0');
    assert.throws(() => parsePrevResult({ cniVersion: '1.1.0', prevResult: { cniVersion: '' } }), {
      message: 'could not parse prevResult: result type supports [1.0.0 1.1.0] but unmarshalled CNIVersion is ""',
    });
    assert.equal(parsePrevResult({ cniVersion: '1.1.0', prevResult: { CNIVersion: '1.0.0' } })?.cniVersion, '1.0.0');
  });

  it('refuses a prevResult of another family or an unknown version', () => {
    assert.throws(() => parsePrevResult({ cniVersion: '1.1.0', prevResult: { cniVersion: '0.4.0' } }), {
      message: 'could not parse prevResult: result type supports [1.0.0 1.1.0] but unmarshalled CNIVersion is "0.4.0"',
    });
    assert.throws(() => parsePrevResult({ cniVersion: '1.1.0', prevResult: { cniVersion: '0.2.0', ip4: { ip: '1.2.3.30/24', gateway: '1.2.3.1' } } }), {
      message: 'could not parse prevResult: result type supports [1.0.0 1.1.0] but unmarshalled CNIVersion is "0.2.0"',
    });
    assert.throws(() => parsePrevResult({ cniVersion: '1.1.0', prevResult: { cniVersion: '5678.456' } }), {
      message: 'could not parse prevResult: result type supports [1.0.0 1.1.0] but unmarshalled CNIVersion is "5678.456"',
    });
    assert.throws(() => parsePrevResult({ cniVersion: '0.2.0', prevResult: { cniVersion: '0.4.0' } }), {
      message: 'could not parse prevResult: result type supports [ 0.1.0 0.2.0] but unmarshalled CNIVersion is "0.4.0"',
    });
  });

  it('refuses a config version without results', () => {
    assert.throws(() => parsePrevResult({ cniVersion: '9.9.9', prevResult: {} }), { message: 'could not parse prevResult: unsupported CNI result version "9.9.9"' });
  });

  it('does not change the config', () => {
    const conf = { cniVersion: '1.1.0', prevResult: { ips: [] } as JsonObject };
    assert.equal(parsePrevResult(conf)?.cniVersion, '1.1.0');
    assert.deepEqual(conf.prevResult, { ips: [] });
  });
});
