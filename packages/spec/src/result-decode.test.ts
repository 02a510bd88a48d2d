import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createResult, resultFromBytes, resultFromJSON } from './result-decode.js';
import { convertResult } from './result-convert.js';
import { printResult } from './result-print.js';
import type { Result020, Result100 } from './result-types.js';

describe('resultFromBytes (CreateFromBytes)', () => {
  it('creates an empty 0.1.0 result from null and {}', () => {
    for (const input of ['null', '{}']) {
      const r = resultFromBytes(input);
      assert.deepEqual(r, { cniVersion: '0.1.0' });
      assert.equal(printResult(r), '{\n    "cniVersion": "0.1.0",\n    "dns": {}\n}');
    }
  });

  it('picks the shape from the result version', () => {
    assert.equal((resultFromBytes('{"cniVersion":"1.0.0","ips":[{"address":"10.0.0.2/24"}]}') as Result100).ips?.[0]?.address, '10.0.0.2/24');
    assert.equal((resultFromBytes('{"ip4":{"ip":"10.0.0.2/24"}}') as Result020).ip4?.ip, '10.0.0.2/24');
  });

  it('refuses unknown versions', () => {
    assert.throws(() => resultFromBytes('{"cniVersion":"1.2.0"}'), { message: 'unsupported CNI result version "1.2.0"' });
    assert.throws(() => resultFromBytes('{"cniVersion":"0.4567.0"}'), { message: 'unsupported CNI result version "0.4567.0"' });
  });

  it('wraps JSON errors as version decoding errors', () => {
    assert.throws(() => resultFromBytes('asdf'), {
      message: "decoding version from network config: invalid character 'a' looking for beginning of value",
    });
  });
});

describe('createResult (Create)', () => {
  it('needs the JSON version to belong to the requested shape', () => {
    assert.throws(() => createResult('1.1.0', '{"cniVersion":"0.4.0"}'), {
      message: 'result type supports [1.0.0 1.1.0] but unmarshalled CNIVersion is "0.4.0"',
    });
    assert.throws(() => createResult('1.0.0', '{}'), { message: 'result type supports [1.0.0 1.1.0] but unmarshalled CNIVersion is ""' });
    assert.throws(() => createResult('0.4.0', '{"cniVersion":"1.0.0"}'), {
      message: 'result type supports [0.3.0 0.3.1 0.4.0] but unmarshalled CNIVersion is "1.0.0"',
    });
    // The reference's list for 0.1.0/0.2.0 begins with "" and prints a leading space.
    assert.throws(() => createResult('0.2.0', '{"cniVersion":"0.4.0"}'), {
      message: 'result type supports [ 0.1.0 0.2.0] but unmarshalled CNIVersion is "0.4.0"',
    });
    assert.equal(createResult('1.1.0', '{"cniVersion":"1.0.0"}').cniVersion, '1.0.0');
    assert.equal(createResult('', '{}').cniVersion, '0.1.0');
    assert.equal(createResult('0.2.0', '{"cniVersion":""}').cniVersion, '0.1.0');
  });

  it('refuses an unknown version', () => {
    assert.throws(() => createResult('0.5.0', '{}'), { message: 'unsupported CNI result version "0.5.0"' });
  });

  it('validates and canonicalizes addresses', () => {
    const r = createResult('1.1.0', {
      cniVersion: '1.1.0',
      ips: [{ address: 'ABCD:1234:FFFF:0:0:0:0:CDDE/64', gateway: 'ABCD:1234:FFFF::1' }],
      routes: [{ dst: '::/0', gw: '' }],
    }) as Result100;
    assert.deepEqual(r.ips, [{ address: 'abcd:1234:ffff::cdde/64', gateway: 'abcd:1234:ffff::1' }]);
    assert.deepEqual(r.routes, [{ dst: '::/0' }]);
    assert.throws(() => createResult('1.1.0', { cniVersion: '1.1.0', ips: [{ address: '10.1.2.3' }] }), { message: 'invalid CIDR address: 10.1.2.3' });
    assert.throws(() => createResult('1.1.0', { cniVersion: '1.1.0', ips: [{ address: '10.1.2.3/24', gateway: 'bad' }] }), {
      message: 'invalid IP address: bad',
    });
    assert.throws(() => createResult('0.2.0', { ip4: { ip: '1.2.3/45' } }), { message: 'invalid CIDR address: 1.2.3/45' });
  });

  it('fails on wrong types with Go wording', () => {
    assert.throws(() => createResult('1.1.0', { cniVersion: '1.1.0', interfaces: [{ name: 'eth0', mtu: '1500' }] }), {
      message: 'json: cannot unmarshal string into Go struct field Interface.interfaces.mtu of type int',
    });
    assert.throws(() => createResult('1.1.0', { cniVersion: '1.1.0', ips: [{ address: 5 }] }), /^Error: json: cannot unmarshal/);
    assert.throws(() => createResult('0.4.0', { cniVersion: '0.4.0', ips: [{ address: 5 }] }), /^Error: json: cannot unmarshal/);
    assert.throws(() => createResult('1.1.0', '[]'), { message: 'json: cannot unmarshal array into Go value of type types100.Result' });
  });

  it('skips null entries of result arrays, where the reference panics while converting', () => {
    const r = createResult('1.1.0', {
      cniVersion: '1.1.0',
      interfaces: [null, { name: 'eth0' }],
      ips: [null, { address: '10.1.2.3/24' }],
      routes: [null],
    }) as Result100;
    assert.deepEqual(r.interfaces, [{ name: 'eth0' }]);
    assert.equal((convertResult(r, '0.2.0') as Result020).ip4?.ip, '10.1.2.3/24');
  });

  it('refuses a missing address or route destination, which Go would print as "<nil>"', () => {
    assert.throws(() => createResult('1.1.0', { cniVersion: '1.1.0', ips: [{}] }), /^Error: invalid CIDR address: missing ips.address$/);
    assert.throws(() => createResult('1.1.0', { cniVersion: '1.1.0', routes: [{ gw: '10.0.0.1' }] }), /^Error: invalid CIDR address: missing routes.dst$/);
  });

  it('ignores keys of other versions', () => {
    const r = createResult('1.0.0', { cniVersion: '1.0.0', ips: [{ version: '4', address: '10.1.2.3/24' }], ip4: { ip: 'x' } }) as Result100;
    assert.deepEqual(r, { cniVersion: '1.0.0', ips: [{ address: '10.1.2.3/24' }] });
  });
});

describe('field names', () => {
  it('match without regard to case, the last match winning, as Go decodes structs', () => {
    const r = resultFromBytes(
      '{"CNIVersion":"1.1.0","IPs":[{"Address":"10.1.2.3/24","GATEWAY":"10.1.2.1"}],"Routes":[{"Dst":"0.0.0.0/0","gw":null}],"DNS":{"Nameservers":["1.1.1.1"]}}',
    );
    assert.deepEqual(r, {
      cniVersion: '1.1.0',
      ips: [{ address: '10.1.2.3/24', gateway: '10.1.2.1' }],
      routes: [{ dst: '0.0.0.0/0' }],
      dns: { nameservers: ['1.1.1.1'] },
    });
    assert.equal(resultFromBytes('{"CniVersion":"0.4.0","ips":[{"Version":"4","address":"10.0.0.2/24"}]}').cniVersion, '0.4.0');
    assert.deepEqual(resultFromBytes('{"cniVersion":"0.2.0","IP4":{"IP":"10.0.0.2/24"}}'), { cniVersion: '0.2.0', ip4: { ip: '10.0.0.2/24' } });
    assert.equal(resultFromJSON({ CNIVersion: '0.3.1' }).cniVersion, '0.3.1');
  });
});

describe('resultFromJSON', () => {
  it('reads a parsed value in its own version', () => {
    assert.equal(resultFromJSON({ cniVersion: '0.3.1', ips: [] }).cniVersion, '0.3.1');
    assert.equal(resultFromJSON(null).cniVersion, '0.1.0');
  });
});
