import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { confListFromConf, goTypeOf, injectConf, networkConfFromBytes, pluginConfFromBytes } from './config.js';
import { RawJson } from './gojson.js';

const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const listErr = (msg: string): { message: string } => ({ message: `error parsing configuration list: ${msg}` });
const list = (extra: Record<string, unknown>): string => JSON.stringify({ name: 'net', plugins: [{ type: 'noop' }], ...extra });

describe('networkConfFromBytes', () => {
  it('parses a list and keeps its bytes unchanged', () => {
    const input = '{ "cniVersion": "1.1.0", "name": "some-list", "disableCheck": true, "plugins": [ { "type": "bridge", "bridge": "cni0" } ] }';
    const l = networkConfFromBytes(input);
    assert.equal(l.name, 'some-list');
    assert.equal(l.cniVersion, '1.1.0');
    assert.equal(l.disableCheck, true);
    assert.equal(l.disableGC, false);
    assert.equal(l.loadOnlyInlinedPlugins, false);
    assert.equal(text(l.bytes), input);
    assert.equal(l.plugins.length, 1);
    assert.equal(l.plugins[0]!.network.type, 'bridge');
  });

  it('re-marshals each plugin with sorted keys, compact and HTML-safe, keeping unknown keys', () => {
    const l = networkConfFromBytes('{"name":"n","plugins":[{"type":"x","zeta":{"b":1,"a":[2,1]},"alpha":"<&>","capabilities":{"portMappings":true}}]}');
    assert.equal(text(l.plugins[0]!.bytes), '{"alpha":"\\u003c\\u0026\\u003e","capabilities":{"portMappings":true},"type":"x","zeta":{"a":[2,1],"b":1}}');
    assert.deepEqual(l.plugins[0]!.network['zeta'], { b: 1, a: [2, 1] });
  });

  it('fails on malformed JSON and non-objects', () => {
    assert.throws(() => networkConfFromBytes(''), listErr('unexpected end of JSON input'));
    assert.throws(() => networkConfFromBytes('{"name":'), listErr('unexpected end of JSON input'));
    assert.throws(() => networkConfFromBytes('[]'), listErr('json: cannot unmarshal array into Go value of type map[string]interface {}'));
    assert.throws(() => networkConfFromBytes('null'), listErr('no name'));
  });

  it('needs a string name', () => {
    assert.throws(() => networkConfFromBytes('{"plugins":[{"type":"x"}]}'), listErr('no name'));
    for (const [name, goType] of [
      [5, 'float64'],
      [null, '<nil>'],
      [true, 'bool'],
      [{}, 'map[string]interface {}'],
      [[], '[]interface {}'],
    ] as const) {
      assert.throws(() => networkConfFromBytes(list({ name })), listErr(`invalid name type ${goType}`), goType);
    }
    assert.equal(networkConfFromBytes(list({ name: '' })).name, '');
  });

  it('needs a string cniVersion when present', () => {
    assert.throws(() => networkConfFromBytes(list({ cniVersion: 1 })), listErr('invalid cniVersion type float64'));
    assert.equal(networkConfFromBytes(list({})).cniVersion, '');
  });

  describe('cniVersions', () => {
    const pick = (extra: Record<string, unknown>): string => networkConfFromBytes(list(extra)).cniVersion;

    it('selects the highest supported version', () => {
      assert.equal(pick({ cniVersions: ['1.1.0', '0.4.0', '1.0.0'] }), '1.1.0');
      assert.equal(pick({ cniVersions: ['99.0.0', '1.1.0', '0.4.0', '1.0.0'] }), '1.1.0');
      assert.equal(pick({ cniVersion: '1.0.0', cniVersions: ['0.1.0', '0.4.0'] }), '1.0.0');
      assert.equal(pick({ cniVersion: '0.3.1', cniVersions: ['0.4.0'] }), '0.4.0');
      assert.equal(pick({ cniVersion: '2.0.0', cniVersions: ['0.4.0'] }), '0.4.0');
    });

    it('leaves cniVersion alone when nothing is selectable', () => {
      assert.equal(pick({ cniVersions: [] }), '');
      assert.equal(pick({ cniVersion: '1.2.3' }), '1.2.3');
      assert.equal(pick({ cniVersion: '1.2.3', cniVersions: ['9.0.0'] }), '1.2.3');
    });

    it('fails with the reference messages', () => {
      assert.throws(() => networkConfFromBytes(list({ cniVersions: ['1.1.0', '0.4.0', '1.0.f'] })), {
        message: 'error parsing configuration list: invalid cniVersions entry 1.0.f at index 2: failed to convert micro version part "f": strconv.Atoi: parsing "f": invalid syntax',
      });
      assert.throws(() => networkConfFromBytes(list({ cniVersions: '1.0.0' })), listErr('invalid type for cniVersions: []interface {}'));
      assert.throws(() => networkConfFromBytes(list({ cniVersions: ['1.0.0', 5] })), listErr('invalid type for cniVersions index 1: float64'));
      assert.throws(() => networkConfFromBytes(list({ cniVersion: 'x', cniVersions: ['1.0.0'] })), {
        message: 'error parsing configuration list: invalid cniVersion x: failed to convert major version part "x": strconv.Atoi: parsing "x": invalid syntax',
      });
      assert.equal(pick({ cniVersion: 'x' }), 'x', 'an unparsable cniVersion alone is not checked');
    });
  });

  describe('booleans', () => {
    for (const key of ['disableCheck', 'disableGC', 'loadOnlyInlinedPlugins'] as const) {
      it(`reads ${key} as a JSON bool or a case-insensitive string`, () => {
        assert.equal(networkConfFromBytes(list({ [key]: true }))[key], true);
        assert.equal(networkConfFromBytes(list({ [key]: 'TRUE' }))[key], true);
        assert.equal(networkConfFromBytes(list({ [key]: 'False' }))[key], false);
        assert.throws(() => networkConfFromBytes(list({ [key]: 'YES' })), listErr(`invalid value "yes" for ${key}`));
        assert.throws(() => networkConfFromBytes(list({ [key]: 1 })), listErr(`invalid type float64 for ${key}`));
        assert.throws(() => networkConfFromBytes(list({ [key]: null })), listErr(`invalid type <nil> for ${key}`));
      });
    }
  });

  describe('plugins', () => {
    it('returns no plugins when the key is absent (the loader looks in the subfolder)', () => {
      assert.deepEqual(networkConfFromBytes('{"name":"n"}').plugins, []);
      assert.deepEqual(networkConfFromBytes('{"name":"n","loadOnlyInlinedPlugins":false}').plugins, []);
    });

    it('needs plugins when only inlined plugins may be used', () => {
      assert.throws(() => networkConfFromBytes('{"name":"n","loadOnlyInlinedPlugins":true}'), listErr("`loadOnlyInlinedPlugins` is true, and no 'plugins' key"));
      assert.equal(networkConfFromBytes('{"name":"n","loadOnlyInlinedPlugins":"true","plugins":[{"type":"a"}]}').loadOnlyInlinedPlugins, true);
    });

    it('needs a non-empty array', () => {
      assert.throws(() => networkConfFromBytes('{"name":"n","plugins":{}}'), listErr("invalid 'plugins' type map[string]interface {}"));
      assert.throws(() => networkConfFromBytes('{"name":"n","plugins":null}'), listErr("invalid 'plugins' type <nil>"));
      assert.throws(() => networkConfFromBytes('{"name":"n","plugins":[]}'), listErr('no plugins in list'));
    });

    it('names the plugin that does not parse', () => {
      assert.throws(() => networkConfFromBytes('{"name":"n","plugins":[{"type":"a"},{"notType":"b"}]}'), {
        message: "failed to parse plugin config 1: error parsing configuration: missing 'type'",
      });
      assert.throws(() => networkConfFromBytes('{"name":"n","plugins":["a"]}'), {
        message: 'failed to parse plugin config 0: error parsing configuration: json: cannot unmarshal string into Go value of type types.PluginConf',
      });
      assert.throws(() => networkConfFromBytes('{"name":"n","plugins":[null]}'), {
        message: "failed to parse plugin config 0: error parsing configuration: missing 'type'",
      });
    });
  });
});

describe('pluginConfFromBytes', () => {
  it('keeps the bytes and every key', () => {
    const input = '{"type":"bridge","bridge":"cni0","ipam":{"type":"host-local","subnet":"10.1.0.0/16"}}';
    const p = pluginConfFromBytes(input);
    assert.equal(text(p.bytes), input);
    assert.equal(p.network['bridge'], 'cni0');
    assert.equal(p.network.ipam?.['subnet'], '10.1.0.0/16');
  });

  it('needs a type', () => {
    assert.throws(() => pluginConfFromBytes('{"name":"n"}'), { message: "error parsing configuration: missing 'type'" });
    assert.throws(() => pluginConfFromBytes('{"type":""}'), { message: "error parsing configuration: missing 'type'" });
    assert.throws(() => pluginConfFromBytes('{"type":'), { message: 'error parsing configuration: unexpected end of JSON input' });
  });

  it('words type errors of the declared fields as Go does, first in input order', () => {
    const err = (json: string, message: string): void => assert.throws(() => pluginConfFromBytes(json), { message: `error parsing configuration: ${message}` });
    err('{"type":5}', 'json: cannot unmarshal number into Go struct field PluginConf.type of type string');
    err('{"name":1,"cniVersion":2,"type":"x"}', 'json: cannot unmarshal number into Go struct field PluginConf.name of type string');
    err('{"type":"x","capabilities":{"a":"yes"}}', 'json: cannot unmarshal string into Go struct field PluginConf.capabilities of type bool');
    err('{"type":"x","ipam":"host-local"}', 'json: cannot unmarshal string into Go struct field PluginConf.ipam of type types.IPAM');
    err('{"type":"x","ipam":{"type":1}}', 'json: cannot unmarshal number into Go struct field IPAM.ipam.type of type string');
    err('{"type":"x","dns":{"nameservers":"8.8.8.8"}}', 'json: cannot unmarshal string into Go struct field DNS.dns.nameservers of type []string');
    err('{"type":"x","dns":{"search":[1]}}', 'json: cannot unmarshal number into Go struct field DNS.dns.search of type string');
    err('{"type":"x","prevResult":[]}', 'json: cannot unmarshal array into Go struct field PluginConf.prevResult of type map[string]interface {}');
    err('{"type":"x","cni.dev/valid-attachments":[{"containerID":1}]}', 'json: cannot unmarshal number into Go struct field GCAttachment.cni.dev/valid-attachments.containerID of type string');
  });
});

describe('confListFromConf', () => {
  it('carries only name and cniVersion to the list', () => {
    const conf = pluginConfFromBytes('{"cniVersion":"0.2.0","name":"legacy","type":"bridge","disableCheck":true,"ipMasq":true}');
    const l = confListFromConf(conf);
    assert.equal(l.name, 'legacy');
    assert.equal(l.cniVersion, '0.2.0');
    assert.equal(l.disableCheck, false);
    assert.equal(text(l.bytes), '{"cniVersion":"0.2.0","name":"legacy","plugins":[{"cniVersion":"0.2.0","disableCheck":true,"ipMasq":true,"name":"legacy","type":"bridge"}]}');
    assert.equal(text(l.plugins[0]!.bytes), '{"cniVersion":"0.2.0","disableCheck":true,"ipMasq":true,"name":"legacy","type":"bridge"}');
  });

  it('gives an empty list version when the conf has none', () => {
    const l = confListFromConf(pluginConfFromBytes('{"name":"legacy","type":"bridge"}'));
    assert.equal(l.cniVersion, '');
    assert.equal(text(l.bytes), '{"cniVersion":"","name":"legacy","plugins":[{"name":"legacy","type":"bridge"}]}');
  });
});

describe('injectConf', () => {
  const orig = pluginConfFromBytes('{"type":"bridge","name":"old","cniVersion":"0.4.0","zz":{"b":1,"a":2}}');

  it('overwrites and adds keys, output sorted and compact', () => {
    const out = injectConf(orig, { name: 'net', cniVersion: '1.1.0', runtimeConfig: { portMappings: [{ hostPort: 8080 }] }, aa: '<x>' });
    assert.equal(
      text(out.bytes),
      '{"aa":"\\u003cx\\u003e","cniVersion":"1.1.0","name":"net","runtimeConfig":{"portMappings":[{"hostPort":8080}]},"type":"bridge","zz":{"a":2,"b":1}}',
    );
    assert.equal(out.network.name, 'net');
    assert.equal(text(orig.bytes), '{"type":"bridge","name":"old","cniVersion":"0.4.0","zz":{"b":1,"a":2}}');
  });

  it('writes a RawJson value as it is (a 0.x prevResult keeps its struct order)', () => {
    const prev = new RawJson('{"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.0.0.2/24"}],"dns":{}}');
    assert.equal(
      text(injectConf(orig, { prevResult: prev }).bytes),
      '{"cniVersion":"0.4.0","name":"old","prevResult":{"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.0.0.2/24"}],"dns":{}},"type":"bridge","zz":{"a":2,"b":1}}',
    );
  });

  it('injects an empty list version as ""', () => {
    assert.match(text(injectConf(orig, { cniVersion: '' }).bytes), /"cniVersion":""/);
  });

  it('refuses empty keys and nil values', () => {
    assert.throws(() => injectConf(orig, { '': 'x' }), { message: 'keys cannot be empty' });
    assert.throws(() => injectConf(orig, { test: null }), { message: "key 'test' value must not be nil" });
    assert.throws(() => injectConf(orig, { test: undefined }), { message: "key 'test' value must not be nil" });
  });

  it('refuses original bytes that are not a JSON object', () => {
    assert.throws(() => injectConf({ network: { type: 'x' }, bytes: new TextEncoder().encode('{') }, { a: 1 }), {
      message: 'unmarshal existing network bytes: unexpected end of JSON input',
    });
  });
});

describe('goTypeOf', () => {
  it('names decoded JSON values as Go %T does', () => {
    assert.deepEqual([1, 'a', true, null, [], {}].map(goTypeOf), ['float64', 'string', 'bool', '<nil>', '[]interface {}', 'map[string]interface {}']);
  });
});
