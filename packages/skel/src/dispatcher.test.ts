// The reference's skel_test.go, row by row, against runPlugin with plain values for a process.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CniError } from '@tscni/spec/errors';
import { runPlugin } from './dispatcher.js';
import type { CmdArgs, EnvSource, Handlers, StdinSource } from './types.js';

const STDIN = '{ "name":"skel-test", "some": "config", "cniVersion": "9.8.7" }';
const BASE_ENV = {
  CNI_COMMAND: 'ADD',
  CNI_CONTAINERID: 'some-container-id',
  CNI_NETNS: '/some/netns/path',
  CNI_IFNAME: 'eth0',
  CNI_ARGS: 'some;extra;args',
  CNI_PATH: '/some/cni/path',
};

interface RunOptions {
  env?: Record<string, string | undefined>;
  drop?: string[];
  stdin?: StdinSource;
  versions?: string[];
  about?: string;
  handlers?: Handlers;
}

async function run(o: RunOptions = {}) {
  const env: Record<string, string | undefined> = { ...BASE_ENV, ...o.env };
  for (const name of o.drop ?? []) delete env[name];
  const calls: Record<string, CmdArgs[]> = { add: [], del: [], check: [], gc: [], status: [] };
  const record = (name: string) => (args: CmdArgs) => void calls[name]!.push(args);
  const handlers: Handlers = { add: record('add'), del: record('del'), check: record('check'), gc: record('gc'), status: record('status'), ...o.handlers };
  let stdout = '';
  let stderr = '';
  const code = await runPlugin(
    { env: env as EnvSource, stdin: o.stdin ?? STDIN, stdout: { write: (s) => (stdout += s) }, stderr: { write: (s) => (stderr += s) } },
    handlers,
    { versions: o.versions ?? ['9.8.7', '10.0.0'], ...(o.about !== undefined ? { about: o.about } : {}) },
  );
  const error = code === 0 ? undefined : (JSON.parse(stdout.slice(stdout.lastIndexOf('{\n    "code"'))) as { code: number; msg: string; details?: string });
  const called = Object.entries(calls).filter(([, v]) => v.length > 0).map(([k]) => k);
  return { code, stdout, stderr, calls, called, error };
}

function plain(args: CmdArgs) {
  const { containerID, netns, ifName, args: a, path, netnsOverride } = args;
  return { containerID, netns, ifName, args: a, path, netnsOverride, stdinData: Buffer.from(args.stdinData).toString() };
}

const EXPECTED_ARGS = {
  containerID: 'some-container-id',
  netns: '/some/netns/path',
  ifName: 'eth0',
  args: 'some;extra;args',
  path: '/some/cni/path',
  netnsOverride: '',
  stdinData: STDIN,
};

/** The reference's envVarChecker: drop one variable and see whether the command still runs. */
function envTable(command: string, rows: [string, boolean][]) {
  for (const [name, required] of rows) {
    it(`${name} is ${required ? 'required' : 'optional'} for ${command}`, async () => {
      const r = await run({ env: { CNI_COMMAND: command }, drop: [name] });
      if (required) {
        assert.equal(r.code, 1);
        assert.deepEqual(r.error, { code: 4, msg: `required env variables [${name}] missing` });
      } else {
        assert.equal(r.code, 0, r.stdout);
      }
    });
  }
}

describe('ADD', () => {
  it('extracts env vars and stdin data and calls add only', async () => {
    const r = await run();
    assert.equal(r.code, 0);
    assert.deepEqual(r.called, ['add']);
    assert.deepEqual(plain(r.calls['add']![0]!), EXPECTED_ARGS);
    assert.equal(r.calls['add']![0]!.command, 'ADD');
    assert.equal(r.stdout, '');
  });

  envTable('ADD', [
    ['CNI_COMMAND', true],
    ['CNI_CONTAINERID', true],
    ['CNI_NETNS', true],
    ['CNI_IFNAME', true],
    ['CNI_ARGS', false],
    ['CNI_PATH', true],
  ]);

  it('rejects a container ID with invalid characters', async () => {
    const r = await run({ env: { CNI_CONTAINERID: 'some-%%container-id' } });
    assert.deepEqual(r.error, { code: 4, msg: 'invalid characters in containerID', details: 'some-%%container-id' });
    assert.deepEqual(r.called, []);
  });

  const badNames: [string, string, string?][] = [
    ['1234567890123456', 'interface name is too long', 'interface name should be less than 16 characters'],
    ['.', 'interface name is . or ..'],
    ['..', 'interface name is . or ..'],
    ['test/test', 'interface name contains / or : or whitespace characters'],
    ['test:test', 'interface name contains / or : or whitespace characters'],
    ['test test', 'interface name contains / or : or whitespace characters'],
  ];
  for (const [ifName, msg, details] of badNames) {
    it(`rejects the interface name ${JSON.stringify(ifName)}`, async () => {
      const r = await run({ env: { CNI_IFNAME: ifName } });
      assert.equal(r.code, 1);
      assert.deepEqual(r.error, details ? { code: 4, msg, details } : { code: 4, msg });
      assert.deepEqual(r.called, []);
    });
  }

  it('reports every missing variable, in the reference order', async () => {
    const r = await run({ drop: ['CNI_NETNS', 'CNI_IFNAME', 'CNI_PATH'] });
    assert.deepEqual(r.error, { code: 4, msg: 'required env variables [CNI_NETNS,CNI_IFNAME,CNI_PATH] missing' });
    assert.deepEqual(r.called, []);
  });

  it('reports a validation failure before the missing variables', async () => {
    const r = await run({ env: { CNI_IFNAME: '..' }, drop: ['CNI_NETNS', 'CNI_PATH'] });
    assert.deepEqual(r.error, { code: 4, msg: 'interface name is . or ..' });
  });

  it('treats a config without cniVersion as 0.1.0 when the plugin supports it', async () => {
    const stdin = '{ "name":"skel-test", "some": "config" }';
    const r = await run({ stdin, versions: ['0.1.0'] });
    assert.equal(r.code, 0);
    assert.deepEqual(r.called, ['add']);
    assert.equal(r.calls['add']![0]!.cniVersion, '0.1.0');
  });

  it('refuses a config without cniVersion when the plugin lacks 0.1.0', async () => {
    const r = await run({ stdin: '{ "name":"skel-test", "some": "config" }', versions: ['4.3.2'] });
    assert.deepEqual(r.error, { code: 1, msg: 'incompatible CNI versions', details: 'config is "0.1.0", plugin supports ["4.3.2"]' });
    assert.deepEqual(r.called, []);
  });

  it('requires the exact version string', async () => {
    const r = await run({ stdin: '{"name":"n","cniVersion":"1.0"}', versions: ['1.0.0'] });
    assert.deepEqual(r.error, { code: 1, msg: 'incompatible CNI versions', details: 'config is "1.0", plugin supports ["1.0.0"]' });
  });

  it('gives code 6 for a config whose version cannot be decoded', async () => {
    const r = await run({ stdin: '{"name":"n","cniVersion":7}' });
    assert.equal(r.error?.code, 6);
    assert.match(r.error!.msg, /^decoding version from network config: /);
  });

  it('prints the returned result in the config version', async () => {
    const add = () => ({ cniVersion: '1.1.0', ips: [{ address: '10.1.2.3/24', gateway: '10.1.2.1' }] });
    const r = await run({ stdin: '{"name":"n","cniVersion":"0.4.0"}', versions: ['0.4.0', '1.1.0'], handlers: { add } });
    assert.equal(r.code, 0);
    assert.equal(
      r.stdout,
      '{\n    "cniVersion": "0.4.0",\n    "ips": [\n        {\n            "version": "4",\n            "address": "10.1.2.3/24",\n            "gateway": "10.1.2.1"\n        }\n    ],\n    "dns": {}\n}',
    );
  });

  it('fails with 999 when the result cannot be converted to the config version', async () => {
    const add = () => ({ cniVersion: '1.1.0', interfaces: [{ name: 'lo' }] });
    const r = await run({ stdin: '{"name":"n","cniVersion":"0.2.0"}', versions: ['0.2.0'], handlers: { add } });
    assert.deepEqual(r.error, { code: 999, msg: 'cannot convert: no valid IP addresses' });
  });
});

describe('CHECK', () => {
  it('extracts env vars and stdin data and calls check only', async () => {
    const r = await run({ env: { CNI_COMMAND: 'CHECK' } });
    assert.equal(r.code, 0);
    assert.deepEqual(r.called, ['check']);
    assert.deepEqual(plain(r.calls['check']![0]!), EXPECTED_ARGS);
  });

  envTable('CHECK', [
    ['CNI_COMMAND', true],
    ['CNI_CONTAINERID', true],
    ['CNI_NETNS', true],
    ['CNI_IFNAME', true],
    ['CNI_ARGS', false],
    ['CNI_PATH', true],
  ]);

  it('reports every missing variable, in the reference order', async () => {
    const r = await run({ env: { CNI_COMMAND: 'CHECK' }, drop: ['CNI_NETNS', 'CNI_IFNAME', 'CNI_PATH'] });
    assert.deepEqual(r.error, { code: 4, msg: 'required env variables [CNI_NETNS,CNI_IFNAME,CNI_PATH] missing' });
  });
});

/** The version gating the reference applies to CHECK, GC and STATUS. */
function gating(command: 'CHECK' | 'GC' | 'STATUS', tooOld: string, minimum: string, olderPlugin: string[]) {
  const env = { CNI_COMMAND: command };
  const handler = command.toLowerCase();
  it(`refuses a config older than ${minimum}`, async () => {
    const r = await run({ env, stdin: `{ "cniVersion": "${tooOld}", "some": "config", "name": "test" }`, versions: [tooOld, minimum] });
    assert.deepEqual(r.error, { code: 1, msg: `config version does not allow ${command}` });
    assert.deepEqual(r.called, []);
  });
  it(`refuses when the plugin supports nothing at or above ${minimum}`, async () => {
    const r = await run({ env, stdin: `{ "cniVersion": "${minimum}", "some": "config", "name": "test" }`, versions: olderPlugin });
    assert.deepEqual(r.error, { code: 1, msg: `plugin version does not allow ${command}` });
    assert.deepEqual(r.called, []);
  });
  it('gives code 6 for a config with a bad version', async () => {
    const r = await run({ env, stdin: '{ "cniVersion": "adsfsadf", "some": "config", "name": "test" }', versions: ['0.1.0', '0.2.0', '0.3.0'] });
    assert.deepEqual(r.error, {
      code: 6,
      msg: 'failed to convert major version part "adsfsadf": strconv.Atoi: parsing "adsfsadf": invalid syntax',
    });
    assert.deepEqual(r.called, []);
  });
  it('gives code 7 for a config with a bad network name', async () => {
    const r = await run({ env, stdin: `{ "cniVersion": "${minimum}", "some": "config", "name": "te%%st" }`, versions: [minimum] });
    assert.deepEqual(r.error, { code: 7, msg: 'invalid characters found in network name', details: 'te%%st' });
    assert.deepEqual(r.called, []);
  });
  it('gives code 6 for a plugin with a bad version', async () => {
    const r = await run({ env, stdin: `{ "cniVersion": "${minimum}", "some": "config", "name": "test" }`, versions: [...olderPlugin, 'adsfasdf'] });
    assert.equal(r.error?.code, 6);
    assert.deepEqual(r.called, []);
  });
  it('still requires the exact version once a newer plugin version is found', async () => {
    const r = await run({ env, stdin: `{ "cniVersion": "${minimum}", "name": "test" }`, versions: ['99.0.0'] });
    assert.deepEqual(r.error, { code: 1, msg: 'incompatible CNI versions', details: `config is "${minimum}", plugin supports ["99.0.0"]` });
  });
  it(`calls ${handler} for a supported version`, async () => {
    const r = await run({ env, stdin: `{ "cniVersion": "${minimum}", "name": "test" }`, versions: [...olderPlugin, minimum] });
    assert.equal(r.code, 0, r.stdout);
    assert.deepEqual(r.called, [handler]);
  });
}

describe('CHECK version gating', () => gating('CHECK', '0.3.1', '0.4.0', ['0.1.0', '0.2.0', '0.3.0']));

describe('GC', () => {
  const env = { CNI_COMMAND: 'GC' };
  const drop = ['CNI_NETNS', 'CNI_IFNAME', 'CNI_CONTAINERID', 'CNI_ARGS'];
  it('extracts env vars and stdin data and calls gc only', async () => {
    const r = await run({ env, drop });
    assert.equal(r.code, 0);
    assert.deepEqual(r.called, ['gc']);
    assert.deepEqual(plain(r.calls['gc']![0]!), { ...EXPECTED_ARGS, containerID: '', netns: '', ifName: '', args: '' });
  });
  envTable('GC', [
    ['CNI_COMMAND', true],
    ['CNI_CONTAINERID', false],
    ['CNI_NETNS', false],
    ['CNI_IFNAME', false],
    ['CNI_ARGS', false],
    ['CNI_PATH', true],
  ]);
  it('reports CNI_PATH missing', async () => {
    const r = await run({ env, drop: [...drop, 'CNI_PATH'] });
    assert.deepEqual(r.error, { code: 4, msg: 'required env variables [CNI_PATH] missing' });
  });
  it('does not validate the container ID or interface name', async () => {
    const r = await run({ env: { ...env, CNI_CONTAINERID: '%%', CNI_IFNAME: '..' } });
    assert.equal(r.code, 0);
  });
  gating('GC', '1.0.0', '1.1.0', ['0.4.0', '1.0.0']);
});

describe('STATUS', () => {
  const env = { CNI_COMMAND: 'STATUS' };
  envTable('STATUS', [
    ['CNI_COMMAND', true],
    ['CNI_CONTAINERID', false],
    ['CNI_NETNS', false],
    ['CNI_IFNAME', false],
    ['CNI_ARGS', false],
    ['CNI_PATH', true],
  ]);
  gating('STATUS', '1.0.0', '1.1.0', ['0.4.0', '1.0.0']);
  it('passes a not-available error through', async () => {
    const status = () => {
      throw new CniError(50, 'plugin not available');
    };
    const r = await run({ env, stdin: '{"cniVersion":"1.1.0","name":"n"}', versions: ['1.1.0'], handlers: { status } });
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '{\n    "code": 50,\n    "msg": "plugin not available"\n}');
  });
});

describe('DEL', () => {
  const env = { CNI_COMMAND: 'DEL' };
  it('calls del with the env vars and stdin data', async () => {
    const r = await run({ env });
    assert.equal(r.code, 0);
    assert.deepEqual(r.called, ['del']);
    assert.deepEqual(plain(r.calls['del']![0]!), EXPECTED_ARGS);
  });
  envTable('DEL', [
    ['CNI_COMMAND', true],
    ['CNI_CONTAINERID', true],
    ['CNI_NETNS', false],
    ['CNI_IFNAME', true],
    ['CNI_ARGS', false],
    ['CNI_PATH', true],
  ]);
  it('prints nothing even when del returns something', async () => {
    const r = await run({ env, handlers: { del: () => ({ cniVersion: '9.8.7' }) } });
    assert.equal(r.stdout, '');
  });
});

describe('VERSION', () => {
  const env = { CNI_COMMAND: 'VERSION' };
  const EXPECTED = '{"cniVersion":"1.1.0","supportedVersions":["9.8.7","10.0.0"]}\n';
  it('prints the version info, byte for byte', async () => {
    const r = await run({ env });
    assert.equal(r.code, 0);
    assert.equal(r.stdout, EXPECTED);
    assert.deepEqual(r.called, []);
  });
  envTable('VERSION', [
    ['CNI_COMMAND', true],
    ['CNI_CONTAINERID', false],
    ['CNI_NETNS', false],
    ['CNI_IFNAME', false],
    ['CNI_ARGS', false],
    ['CNI_PATH', false],
  ]);
  it('does not read stdin', async () => {
    let reads = 0;
    const stdin = () => {
      reads++;
      throw new Error('banana');
    };
    const r = await run({ env, stdin });
    assert.equal(reads, 0);
    assert.equal(r.stdout, EXPECTED);
  });
  it('ignores an invalid config on stdin', async () => {
    const r = await run({ env, stdin: 'not json' });
    assert.equal(r.stdout, EXPECTED);
  });
  it('does not validate the container ID or interface name', async () => {
    const r = await run({ env: { ...env, CNI_CONTAINERID: '%%', CNI_IFNAME: '..' } });
    assert.equal(r.stdout, EXPECTED);
  });
});

describe('unknown commands and the about string', () => {
  it('does not call any handler and fails with code 4', async () => {
    const r = await run({ env: { CNI_COMMAND: 'NOPE' } });
    assert.deepEqual(r.called, []);
    assert.deepEqual(r.error, { code: 4, msg: 'unknown CNI_COMMAND: NOPE' });
  });
  it('is case-sensitive', async () => {
    const r = await run({ env: { CNI_COMMAND: 'add' } });
    assert.deepEqual(r.error, { code: 4, msg: 'unknown CNI_COMMAND: add' });
  });
  it('checks the network name even for an unknown command', async () => {
    const r = await run({ env: { CNI_COMMAND: 'NOPE' }, stdin: '{}' });
    assert.deepEqual(r.error, { code: 7, msg: 'missing network name' });
  });
  it('prints the about string when the command is blank', async () => {
    const r = await run({ env: { CNI_COMMAND: '' }, about: 'test framework v42' });
    assert.equal(r.code, 0);
    assert.match(r.stderr, /test framework v42/);
  });
  it('prints the about string and versions to stderr when CNI_COMMAND is missing', async () => {
    let stderr = '';
    let stdout = '';
    const code = await runPlugin(
      { env: {}, stdin: '', stdout: { write: (s) => (stdout += s) }, stderr: { write: (s) => (stderr += s) } },
      {},
      { versions: ['9.8.7', '10.0.0'], about: 'AWESOME PLUGIN' },
    );
    assert.equal(code, 0);
    assert.equal(stdout, '');
    assert.equal(stderr, 'AWESOME PLUGIN\nCNI protocol versions supported: 9.8.7, 10.0.0\n');
  });
  it('fails without an about string', async () => {
    const r = await run({ drop: Object.keys(BASE_ENV) });
    assert.deepEqual(r.called, []);
    assert.deepEqual(r.error, { code: 4, msg: 'required env variables [CNI_COMMAND] missing' });
  });
});

describe('stdin and the network name', () => {
  it('wraps a stdin read failure as code 5', async () => {
    const r = await run({ stdin: () => Promise.reject(new Error('banana')) });
    assert.deepEqual(r.called, []);
    assert.deepEqual(r.error, { code: 5, msg: 'error reading from stdin: banana' });
  });
  it('wraps a failing stdin stream as code 5', async () => {
    const stdin: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(new Error('read EIO')) }),
    };
    const r = await run({ stdin });
    assert.deepEqual(r.error, { code: 5, msg: 'error reading from stdin: read EIO' });
  });
  it('reads a stdin stream in chunks', async () => {
    async function* chunks() {
      yield '{"name":"skel-test",';
      yield Buffer.from('"cniVersion":"9.8.7"}');
    }
    const r = await run({ stdin: chunks() });
    assert.equal(r.code, 0);
    assert.equal(Buffer.from(r.calls['add']![0]!.stdinData).toString(), '{"name":"skel-test","cniVersion":"9.8.7"}');
  });
  const cases: [string, { code: number; msg: string; details?: string }][] = [
    ['{"name":', { code: 6, msg: 'error unmarshall network config: unexpected end of JSON input' }],
    ['[]', { code: 6, msg: 'error unmarshall network config: json: cannot unmarshal array into Go value of type struct { Name string "json:\\"name\\"" }' }],
    ['{"name":5}', { code: 6, msg: 'error unmarshall network config: json: cannot unmarshal number into Go struct field .name of type string' }],
    ['', { code: 6, msg: 'error unmarshall network config: unexpected end of JSON input' }],
    ['null', { code: 7, msg: 'missing network name' }],
    ['{"cniVersion":"9.8.7"}', { code: 7, msg: 'missing network name' }],
    ['{"name":""}', { code: 7, msg: 'missing network name' }],
    ['{"name":"-net"}', { code: 7, msg: 'invalid characters found in network name', details: '-net' }],
  ];
  for (const [stdin, error] of cases) {
    it(`refuses the config ${JSON.stringify(stdin)}`, async () => {
      const r = await run({ stdin });
      assert.deepEqual(r.error, error);
      assert.deepEqual(r.called, []);
    });
  }
  it('matches the name key case-insensitively, as Go does', async () => {
    const r = await run({ stdin: '{"NAME":"skel-test","cniVersion":"9.8.7"}' });
    assert.equal(r.code, 0);
  });
});

describe('handler errors', () => {
  const failWith = (e: unknown) => () => {
    throw e;
  };
  it('passes a typed error through as it is', async () => {
    const r = await run({ handlers: { add: failWith(new CniError(1234, 'insufficient something')) } });
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '{\n    "code": 1234,\n    "msg": "insufficient something"\n}');
  });
  it('finds a typed error wrapped as a cause', async () => {
    const r = await run({ handlers: { add: failWith(new Error('outer', { cause: new CniError(11, 'try again', 'later') })) } });
    assert.deepEqual(r.error, { code: 11, msg: 'try again', details: 'later' });
  });
  it('wraps an untyped error as code 999', async () => {
    const r = await run({ handlers: { add: async () => Promise.reject(new Error('potato')) } });
    assert.equal(r.stdout, '{\n    "code": 999,\n    "msg": "potato"\n}');
  });
  it('wraps a thrown non-error as code 999', async () => {
    const r = await run({ handlers: { del: failWith('banana') }, env: { CNI_COMMAND: 'DEL' } });
    assert.deepEqual(r.error, { code: 999, msg: 'banana' });
  });
  it('succeeds for a command without a handler', async () => {
    let stdout = '';
    const code = await runPlugin({ env: BASE_ENV, stdin: STDIN, stdout: { write: (s) => (stdout += s) }, stderr: { write: () => {} } }, {}, { versions: ['9.8.7'] });
    assert.equal(code, 0);
    assert.equal(stdout, '');
  });
  it('rejects an empty version list as a programming error', async () => {
    await assert.rejects(
      runPlugin({ env: BASE_ENV, stdin: STDIN, stdout: { write: () => {} }, stderr: { write: () => {} } }, {}, { versions: [] }),
      /programmer error: you must support at least one version/,
    );
  });
});

describe('netns self-check', { skip: process.platform !== 'linux' }, () => {
  const own = { CNI_NETNS: '/proc/self/ns/net' };
  it("fails ADD with code 8 when CNI_NETNS is the plugin's own netns, after the handler ran", async () => {
    const r = await run({ env: own });
    assert.deepEqual(r.called, ['add']);
    assert.deepEqual(r.error, { code: 8, msg: "plugin's netns and netns from CNI_NETNS should not be the same" });
  });
  it('prints the result and then the error, as the reference does', async () => {
    const add = () => ({ cniVersion: '1.1.0' });
    const r = await run({ env: own, stdin: '{"name":"n","cniVersion":"1.1.0"}', versions: ['1.1.0'], handlers: { add } });
    assert.equal(r.stdout, `{\n    "cniVersion": "1.1.0"\n}{\n    "code": 8,\n    "msg": "plugin's netns and netns from CNI_NETNS should not be the same"\n}`);
  });
  it('fails DEL the same way', async () => {
    const r = await run({ env: { ...own, CNI_COMMAND: 'DEL' } });
    assert.equal(r.error?.code, 8);
  });
  it('does not check CHECK', async () => {
    const r = await run({ env: { ...own, CNI_COMMAND: 'CHECK' } });
    assert.equal(r.code, 0);
  });
  it('does not run after a failed handler', async () => {
    const r = await run({ env: own, handlers: { add: () => Promise.reject(new Error('potato')) } });
    assert.deepEqual(r.error, { code: 999, msg: 'potato' });
  });
  for (const value of ['TRUE', 'true', 'True', '1']) {
    it(`is skipped with CNI_NETNS_OVERRIDE=${value}`, async () => {
      const r = await run({ env: { ...own, CNI_NETNS_OVERRIDE: value } });
      assert.equal(r.code, 0);
      assert.equal(r.calls['add']![0]!.netnsOverride, value);
    });
  }
  for (const value of ['yes', '0', 'false']) {
    it(`is not skipped with CNI_NETNS_OVERRIDE=${value}`, async () => {
      const r = await run({ env: { ...own, CNI_NETNS_OVERRIDE: value } });
      assert.equal(r.error?.code, 8);
    });
  }
  it('ignores an empty CNI_NETNS on DEL', async () => {
    const r = await run({ env: { CNI_COMMAND: 'DEL', CNI_NETNS: '' } });
    assert.equal(r.code, 0);
  });
});
