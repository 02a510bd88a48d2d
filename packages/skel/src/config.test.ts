import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CniError } from '@tscni/spec/errors';
import { createCmdArgs } from './cmd-args.js';
import { ConfigError, ConfigReader, parseConfig } from './config.js';
import { invokeHandler } from './invoke-handler.js';
import { prevResultOf } from './prev-result.js';

function errorOf(fn: () => unknown): object {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof CniError, `not a CniError: ${String(e)}`);
    return e.toJSON();
  }
  assert.fail('did not throw');
}

describe('parseConfig', () => {
  it('reads the standard keys, empty strings for absent ones', () => {
    const conf = parseConfig('{"name":"n","ipam":{"type":"host-local"},"dns":{"nameservers":["1.1.1.1"]}}');
    assert.deepEqual(conf, { cniVersion: '', name: 'n', type: '', ipam: { type: 'host-local' }, dns: { nameservers: ['1.1.1.1'] } });
  });
  it("adds the plugin's own keys", () => {
    const conf = parseConfig('{"cniVersion":"1.1.0","name":"n","type":"bridge","mtu":1400}', (c) => ({
      bridge: c.string('bridge', 'cni0'),
      mtu: c.integer('mtu', { min: 576 }),
      hairpin: c.optionalBoolean('hairpinMode'),
    }));
    assert.equal(conf.bridge, 'cni0');
    assert.equal(conf.mtu, 1400);
    assert.equal(conf.hairpin, undefined);
    assert.equal(conf.type, 'bridge');
  });
  it('gives code 6 for undecodable JSON', () => {
    assert.deepEqual(errorOf(() => parseConfig('{"name"')), { code: 6, msg: 'error unmarshall network config: unexpected end of JSON input' });
    assert.deepEqual(errorOf(() => parseConfig('[1]')), {
      code: 6,
      msg: 'error unmarshall network config: json: cannot unmarshal array into Go value of type map[string]interface {}',
    });
  });
  const failures: [string, (c: ConfigReader) => unknown, string][] = [
    ['{"name":5}', () => undefined, 'config field name: expected a string, got number'],
    ['{"ipam":[]}', () => undefined, 'config field ipam: expected an object, got array'],
    ['{"dns":{"nameservers":["a",1]}}', () => undefined, 'config field dns.nameservers.1: expected a string, got number'],
    ['{"capabilities":{"portMappings":"yes"}}', () => undefined, 'config field capabilities.portMappings: expected a boolean, got string'],
    ['{"prevResult":"x"}', () => undefined, 'config field prevResult: expected an object, got string'],
    ['{}', (c) => c.string('ipam.subnet'), 'config field ipam.subnet: is required (a string)'],
    ['{"ipam":{"subnet":null}}', (c) => c.string('ipam.subnet'), 'config field ipam.subnet: is required (a string)'],
    ['{"ipam":"host-local"}', (c) => c.string('ipam.subnet'), 'config field ipam: expected an object, got string'],
    ['{"mtu":"1500"}', (c) => c.number('mtu', 1500), 'config field mtu: expected a number, got string'],
    ['{"mtu":1.5}', (c) => c.integer('mtu'), 'config field mtu: expected an integer, got 1.5'],
    ['{"mtu":100}', (c) => c.integer('mtu', { min: 576, max: 9000 }), 'config field mtu: must be at least 576, got 100'],
    ['{"mode":"l4"}', (c) => c.oneOf('mode', ['l2', 'l3'] as const, 'l2'), 'config field mode: must be one of l2, l3, got "l4"'],
    ['{"x":1}', (c) => c.fail('x', 'is not allowed here'), 'config field x: is not allowed here'],
  ];
  for (const [json, read, msg] of failures) {
    it(`fails with code 7 naming the field: ${msg}`, () => {
      assert.deepEqual(errorOf(() => parseConfig(json, (c) => ({ v: read(c) }))), { code: 7, msg });
    });
  }
  it('ConfigError is a CniError with the path and reason', () => {
    const e = new ConfigError('ipam.subnet', 'too small');
    assert.ok(e instanceof CniError);
    assert.equal(e.path, 'ipam.subnet');
    assert.equal(e.reason, 'too small');
    assert.equal(e.print(), '{\n    "code": 7,\n    "msg": "config field ipam.subnet: too small"\n}');
  });
  it('ConfigReader matches keys without regard to case, the last match winning, as Go structs do', () => {
    const r = new ConfigReader({ MTU: 1400, Ipam: { SUBNET: '10.1.0.0/16' }, hairpinMode: true, HairpinMode: false });
    assert.equal(r.number('mtu'), 1400);
    assert.equal(r.string('ipam.subnet'), '10.1.0.0/16');
    assert.equal(r.boolean('hairpinMode'), false);
  });

  it('ConfigReader reads defaults and presence', () => {
    const r = new ConfigReader({ a: { b: true }, list: ['x'] });
    assert.equal(r.boolean('a.b'), true);
    assert.equal(r.has('a.c'), false);
    assert.deepEqual(r.stringArray('list'), ['x']);
    assert.deepEqual(r.stringArray('missing', []), []);
    assert.deepEqual(r.object('a'), { b: true });
    assert.equal(r.optionalString('a.c'), undefined);
    assert.equal(r.oneOf('mode', ['l2', 'l3'] as const, 'l3'), 'l3');
  });
});

describe('prevResult', () => {
  it('is undefined without one', () => {
    assert.equal(prevResultOf({ cniVersion: '1.1.0' }), undefined);
  });
  it("keeps the prevResult's own version within the config's family", () => {
    const prev = prevResultOf({ cniVersion: '1.1.0', prevResult: { cniVersion: '1.0.0', ips: [{ address: '10.0.0.2/24' }] } });
    assert.equal(prev?.cniVersion, '1.0.0');
  });
  it("takes the config's version when the prevResult has none", () => {
    assert.equal(prevResultOf({ cniVersion: '0.4.0', prevResult: { ips: [] } })?.cniVersion, '0.4.0');
  });
  it('refuses a prevResult of another family with code 7 and the reference message', () => {
    assert.deepEqual(errorOf(() => prevResultOf({ cniVersion: '1.1.0', prevResult: { cniVersion: '0.4.0' } })), {
      code: 7,
      msg: 'could not parse prevResult: result type supports [1.0.0 1.1.0] but unmarshalled CNIVersion is "0.4.0"',
    });
  });
  it('refuses a prevResult that is not an object', () => {
    assert.equal((errorOf(() => prevResultOf({ cniVersion: '1.1.0', prevResult: 'x' })) as CniError).code, 7);
  });
});

describe('CmdArgs conveniences', () => {
  it('derives config, cniVersion and prevResult from stdin', () => {
    const args = createCmdArgs('ADD', {
      ifName: 'eth0',
      stdinData: '{"cniVersion":"1.0.0","name":"n","prevResult":{"ips":[{"address":"10.0.0.2/24"}]}}',
    });
    assert.equal(args.cniVersion, '1.0.0');
    assert.equal(args.config['name'], 'n');
    assert.deepEqual(args.prevResult, { cniVersion: '1.0.0', ips: [{ address: '10.0.0.2/24' }] });
    assert.equal(args.containerID, '');
    assert.equal(args.env, process.env);
  });
  it('throws the CNI error of a bad prevResult only when it is read', () => {
    const args = createCmdArgs('CHECK', { stdinData: '{"cniVersion":"1.1.0","name":"n","prevResult":{"cniVersion":"5678.456"}}' });
    assert.equal(args.cniVersion, '1.1.0');
    assert.deepEqual(errorOf(() => args.prevResult), {
      code: 7,
      msg: 'could not parse prevResult: result type supports [1.0.0 1.1.0] but unmarshalled CNIVersion is "5678.456"',
    });
  });
});

describe('invokeHandler', () => {
  it('calls a handler directly and prints its result in the config version', async () => {
    const out = await invokeHandler(
      'ADD',
      { add: (args) => ({ cniVersion: '1.1.0', ips: [{ address: '10.0.0.2/24' }], dns: { nameservers: [args.ifName] } }) },
      { ifName: 'eth0', stdinData: '{"cniVersion":"1.0.0","name":"n"}' },
    );
    assert.equal(out.error, undefined);
    assert.deepEqual(out.result?.cniVersion, '1.1.0');
    assert.equal(
      out.stdout,
      '{\n    "cniVersion": "1.0.0",\n    "dns": {\n        "nameservers": [\n            "eth0"\n        ]\n    },\n    "ips": [\n        {\n            "address": "10.0.0.2/24"\n        }\n    ]\n}',
    );
  });
  it('reports errors as the plugin would', async () => {
    const out = await invokeHandler('DEL', { del: () => Promise.reject(new Error('potato')) }, { stdinData: '{}' });
    assert.deepEqual(out.error?.toJSON(), { code: 999, msg: 'potato' });
    assert.equal(out.stdout, '{\n    "code": 999,\n    "msg": "potato"\n}');
  });
  it('succeeds for a missing handler', async () => {
    assert.deepEqual(await invokeHandler('GC', {}, { stdinData: '{}' }), { stdout: '' });
  });
});
