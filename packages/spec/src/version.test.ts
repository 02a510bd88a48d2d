import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ALL_VERSIONS,
  CURRENT_VERSION,
  decodePluginInfo,
  decodeVersion,
  encodePluginInfo,
  greaterThan,
  greaterThanOrEqualTo,
  parseVersion,
  reconcileVersion,
  versionsStartingFrom,
} from './version.js';

describe('parseVersion', () => {
  it('parses dotted integers as strconv.Atoi does', () => {
    assert.deepEqual(parseVersion('1.2.3'), { major: 1, minor: 2, micro: 3 });
    assert.deepEqual(parseVersion(''), { major: 0, minor: 1, micro: 0 });
    assert.deepEqual(parseVersion('1'), { major: 1, minor: 0, micro: 0 });
    assert.deepEqual(parseVersion('1.1'), { major: 1, minor: 1, micro: 0 });
    assert.deepEqual(parseVersion('+1.0.0'), { major: 1, minor: 0, micro: 0 });
    assert.deepEqual(parseVersion('01.2.3'), { major: 1, minor: 2, micro: 3 });
    assert.deepEqual(parseVersion('0.-42.0'), { major: 0, minor: -42, micro: 0 });
  });

  const atoi = (part: string, reason = 'invalid syntax'): string => `strconv.Atoi: parsing "${part}": ${reason}`;
  const cases: [string, string][] = [
    ['v1.0.0', `failed to convert major version part "v1": ${atoi('v1')}`],
    ['1.0.0-rc1', `failed to convert micro version part "0-rc1": ${atoi('0-rc1')}`],
    [' 1.0.0', `failed to convert major version part " 1": ${atoi(' 1')}`],
    ['0.', `failed to convert minor version part "": ${atoi('')}`],
    ['..', `failed to convert major version part "": ${atoi('')}`],
    ['asdf.', `failed to convert major version part "asdf": ${atoi('asdf')}`],
    ['asdfasdf', `failed to convert major version part "asdfasdf": ${atoi('asdfasdf')}`],
    ['.asdfas', `failed to convert major version part "": ${atoi('')}`],
    ['1.2.3.4', 'invalid version "1.2.3.4": too many parts'],
    ['1.2.3.4.5', 'invalid version "1.2.3.4.5": too many parts'],
    ['+', `failed to convert major version part "+": ${atoi('+')}`],
    ['99999999999999999999', `failed to convert major version part "99999999999999999999": ${atoi('99999999999999999999', 'value out of range')}`],
  ];
  for (const [input, message] of cases) {
    it(`rejects ${JSON.stringify(input)}`, () => {
      assert.throws(() => parseVersion(input), { message });
    });
  }
});

describe('version ordering', () => {
  it('compares numerically', () => {
    for (const [a, b] of [
      ['1.2.34', '1.2.14'],
      ['2.5.4', '2.4.4'],
      ['1.2.3', '0.2.3'],
      ['0.4.0', '0.3.1'],
      ['0.10.0', '0.9.0'],
    ] as const) {
      assert.equal(greaterThanOrEqualTo(a, b), true, `${a} >= ${b}`);
      assert.equal(greaterThanOrEqualTo(b, a), false, `${b} >= ${a}`);
    }
    assert.equal(greaterThanOrEqualTo('1.2.3', '1.2.3'), true);
    assert.equal(greaterThanOrEqualTo('', '0.1.0'), true);
    assert.equal(greaterThan('1.1.0', '1.1.1'), false);
    assert.equal(greaterThan('1.1.1', '1.1.0'), true);
    assert.equal(greaterThan('1.1.1', '1.1.1'), false);
    assert.equal(greaterThan('1.1', '1.1.0'), false);
  });

  it('fails on a malformed version on either side', () => {
    assert.throws(() => greaterThanOrEqualTo('1.2.34', 'asdadf'), /failed to convert major version part "asdadf"/);
    assert.throws(() => greaterThanOrEqualTo('adsfad', '2.5.4'), /failed to convert major version part "adsfad"/);
    assert.throws(() => greaterThan('1.0.x', '1.0.0'), /failed to convert micro version part "x"/);
  });
});

describe('version lists', () => {
  it('knows every spec version and the current one', () => {
    assert.equal(CURRENT_VERSION, '1.1.0');
    assert.deepEqual(ALL_VERSIONS, ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0']);
  });

  it('lists versions starting from one', () => {
    assert.deepEqual(versionsStartingFrom('0.3.1'), ['0.3.1', '0.4.0', '1.0.0', '1.1.0']);
    assert.deepEqual(versionsStartingFrom('0.1.0'), ALL_VERSIONS);
    assert.deepEqual(versionsStartingFrom('1.1.0'), ['1.1.0']);
  });

  it('refuses a start that is not a spec version (the reference would panic)', () => {
    assert.throws(() => versionsStartingFrom('0.3'));
  });
});

describe('decodeVersion', () => {
  it('reads cniVersion, 0.1.0 when missing or empty', () => {
    assert.equal(decodeVersion('{"cniVersion":"4.3.2"}'), '4.3.2');
    assert.equal(decodeVersion(new TextEncoder().encode('{"cniVersion":"0.4.0","x":1}')), '0.4.0');
    assert.equal(decodeVersion('{"not-a-version-field":"foo"}'), '0.1.0');
    assert.equal(decodeVersion('{"cniVersion":""}'), '0.1.0');
    assert.equal(decodeVersion('{"cniVersion":null}'), '0.1.0');
    assert.equal(decodeVersion('null'), '0.1.0');
  });

  it('matches the key without regard to case, the last match winning, as Go does', () => {
    assert.equal(decodeVersion('{"CNIVersion":"1.0.0","name":"n"}'), '1.0.0');
    assert.equal(decodeVersion('{"cniVersion":"0.4.0","CNIVERSION":"1.1.0"}'), '1.1.0');
    assert.equal(decodeVersion('{"cniVersion":"0.4.0","CniVersion":null}'), '0.4.0');
    assert.throws(() => decodeVersion('{"CNIVersion":7}'), {
      message: 'decoding version from network config: json: cannot unmarshal number into Go struct field .cniVersion of type string',
    });
  });

  it('wraps JSON errors', () => {
    assert.throws(() => decodeVersion('{ not json'), {
      message: "decoding version from network config: invalid character 'n' looking for beginning of object key string",
    });
    assert.throws(() => decodeVersion('asdf'), {
      message: "decoding version from network config: invalid character 'a' looking for beginning of value",
    });
    assert.throws(() => decodeVersion(''), { message: 'decoding version from network config: unexpected end of JSON input' });
  });

  it('words type errors as Go does', () => {
    assert.throws(() => decodeVersion('{"cniVersion":1}'), {
      message: 'decoding version from network config: json: cannot unmarshal number into Go struct field .cniVersion of type string',
    });
    assert.throws(() => decodeVersion('[]'), {
      message: 'decoding version from network config: json: cannot unmarshal array into Go value of type struct { CNIVersion string "json:\\"cniVersion\\"" }',
    });
  });
});

describe('VERSION reply', () => {
  it('encodes compact JSON and a newline, with the library version', () => {
    assert.equal(
      encodePluginInfo(ALL_VERSIONS),
      '{"cniVersion":"1.1.0","supportedVersions":["0.1.0","0.2.0","0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]}\n',
    );
    assert.equal(encodePluginInfo(['9.8.7']), '{"cniVersion":"1.1.0","supportedVersions":["9.8.7"]}\n');
  });

  it('refuses to encode no versions', () => {
    assert.throws(() => encodePluginInfo([]), { message: 'programmer error: you must support at least one version' });
  });

  it('decodes a reply', () => {
    const info = decodePluginInfo('{"cniVersion":"some-library-version","supportedVersions":["some-version","some-other-version"]}');
    assert.deepEqual(info, { cniVersion: 'some-library-version', supportedVersions: ['some-version', 'some-other-version'] });
  });

  it('assumes 0.1.0 and 0.2.0 for a 0.2.0 reply without a list', () => {
    assert.deepEqual(decodePluginInfo('{ "cniVersion": "0.2.0" }').supportedVersions, ['0.1.0', '0.2.0']);
    assert.deepEqual(decodePluginInfo('{ "cniVersion": "0.2.0", "supportedVersions": [] }').supportedVersions, ['0.1.0', '0.2.0']);
  });

  it('fails with the reference messages', () => {
    assert.throws(() => decodePluginInfo('{{{'), {
      message: "decoding version info: invalid character '{' looking for beginning of object key string",
    });
    assert.throws(() => decodePluginInfo('{ "supportedVersions": [ "foo" ] }'), { message: 'decoding version info: missing field cniVersion' });
    assert.throws(() => decodePluginInfo('{ "cniVersion": "" }'), { message: 'decoding version info: missing field cniVersion' });
    assert.throws(() => decodePluginInfo('{ "cniVersion": "1.0.0" }'), { message: 'decoding version info: missing field supportedVersions' });
    assert.throws(() => decodePluginInfo('{ "cniVersion": "1.0.0", "supportedVersions": "1.0.0" }'), {
      message: 'decoding version info: json: cannot unmarshal string into Go struct field pluginInfo.supportedVersions of type []string',
    });
    assert.throws(() => decodePluginInfo('[]'), {
      message: 'decoding version info: json: cannot unmarshal array into Go value of type version.pluginInfo',
    });
  });
});

describe('reconcileVersion', () => {
  it('accepts an exact member only', () => {
    assert.equal(reconcileVersion('1.2.3', ['1.2.3', '4.3.2']), undefined);
    assert.notEqual(reconcileVersion('1.0', ['1.0.0']), undefined);
  });

  it('explains an incompatibility', () => {
    const err = reconcileVersion('0.1.0', ['1.2.3', '4.3.2']);
    assert.ok(err);
    assert.equal(err.message, 'incompatible CNI versions: config is "0.1.0", plugin supports ["1.2.3" "4.3.2"]');
    assert.equal(err.details, 'config is "0.1.0", plugin supports ["1.2.3" "4.3.2"]');
    const cni = err.toCniError();
    assert.equal(cni.code, 1);
    assert.equal(cni.msg, 'incompatible CNI versions');
    assert.equal(cni.details, 'config is "0.1.0", plugin supports ["1.2.3" "4.3.2"]');
  });
});
