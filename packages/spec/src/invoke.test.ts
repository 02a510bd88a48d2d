import assert from 'node:assert/strict';
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CniError } from './errors.js';
import {
  RawExec,
  buildEnv,
  delegateAdd,
  delegateDel,
  delegateEnv,
  execPlugin,
  execPluginWithResult,
  execPluginWithoutResult,
  findInPath,
  fixupResultVersion,
  getVersionInfo,
  pluginError,
  splitCniPath,
  stringifyPluginArgs,
  type Env,
  type Exec,
} from './invoke.js';

let root: string;

function script(name: string, body: string, dir = root): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

/** Collects what a plugin forwards to stderr. */
function sink(): { chunks: Buffer[]; write(chunk: Uint8Array): boolean; text(): string } {
  const chunks: Buffer[] = [];
  return {
    chunks,
    write(chunk: Uint8Array) {
      chunks.push(Buffer.from(chunk));
      return true;
    },
    text: () => Buffer.concat(chunks).toString(),
  };
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  assert.fail('expected a rejection');
}

const baseEnv: Env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin' };

before(() => {
  root = mkdtempSync(join(tmpdir(), 'tscni-invoke-'));
});

after(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('splitCniPath', () => {
  it('splits as Go filepath.SplitList: empty is no directories, empty entries stay', () => {
    assert.deepEqual(splitCniPath(''), []);
    assert.deepEqual(splitCniPath(undefined), []);
    assert.deepEqual(splitCniPath('/a:/b::/c'), ['/a', '/b', '', '/c']);
  });
});

describe('findInPath', () => {
  let a: string;
  let b: string;
  before(() => {
    a = join(root, 'find-a');
    b = join(root, 'find-b');
    mkdirSync(a);
    mkdirSync(b);
    writeFileSync(join(b, 'plugin'), '');
    mkdirSync(join(a, 'dir-plugin'));
    writeFileSync(join(b, 'dir-plugin'), '');
    symlinkSync(join(b, 'plugin'), join(a, 'linked'));
  });

  it('finds a plugin in a later directory', async () => {
    assert.equal(await findInPath('plugin', [a, b]), join(b, 'plugin'));
  });

  it('accepts regular files only (directories are skipped), following symlinks', async () => {
    assert.equal(await findInPath('dir-plugin', [a, b]), join(b, 'dir-plugin'));
    assert.equal(await findInPath('linked', [a, b]), join(a, 'linked'));
  });

  it('words its failures as the reference', async () => {
    assert.equal((await rejection(findInPath('', [a]))).message, 'no plugin name provided');
    assert.equal((await rejection(findInPath('../pluginname', [a]))).message, 'invalid plugin name: ../pluginname');
    assert.equal((await rejection(findInPath('..', [a]))).message, 'invalid plugin name: ..');
    assert.equal((await rejection(findInPath('plugin', []))).message, 'no paths provided');
    assert.equal((await rejection(findInPath('nope', [a, b]))).message, `failed to find plugin "nope" in path [${a} ${b}]`);
  });
});

describe('buildEnv / delegateEnv', () => {
  it('adds all six CNI variables, overriding inherited ones', () => {
    const env = buildEnv(
      { command: 'ADD', containerID: 'c1', netNS: '/ns', ifName: 'eth0', path: '/a:/b', pluginArgs: [['KEY1', 'VALUE1'], ['KEY2', 'VALUE2']] },
      { CNI_COMMAND: 'DEL', CNI_ARGS: 'stale', HOME: '/root', UNSET: undefined },
    );
    assert.deepEqual(env, {
      CNI_COMMAND: 'ADD',
      CNI_CONTAINERID: 'c1',
      CNI_NETNS: '/ns',
      CNI_ARGS: 'KEY1=VALUE1;KEY2=VALUE2',
      CNI_IFNAME: 'eth0',
      CNI_PATH: '/a:/b',
      HOME: '/root',
    });
  });

  it('sets the variables even when empty, and prefers pluginArgsStr', () => {
    const env = buildEnv({ command: 'GC', pluginArgs: [['A', 'B']], pluginArgsStr: 'X=Y' }, {});
    assert.deepEqual(env, { CNI_COMMAND: 'GC', CNI_CONTAINERID: '', CNI_NETNS: '', CNI_ARGS: 'X=Y', CNI_IFNAME: '', CNI_PATH: '' });
    assert.equal(stringifyPluginArgs([]), '');
  });

  it('delegateEnv replaces only CNI_COMMAND and leaves the given environment untouched', () => {
    const base = { CNI_COMMAND: 'ADD', CNI_IFNAME: 'eth0' };
    assert.deepEqual(delegateEnv('DEL', base), { CNI_COMMAND: 'DEL', CNI_IFNAME: 'eth0' });
    assert.equal(base.CNI_COMMAND, 'ADD');
  });
});

describe('execPlugin', () => {
  it('passes stdin and exactly the given environment, and returns stdout', async () => {
    const out = join(root, 'recorded');
    mkdirSync(out);
    const p = script('record', `cat > "$OUT_DIR/stdin"\nenv > "$OUT_DIR/env"\nprintf '%s' '{"ok":true}'`);
    const stdout = await execPlugin(p, '{"some":"stdin"}', { ...baseEnv, OUT_DIR: out, CNI_COMMAND: 'ADD' }, { stderr: null });
    assert.equal(Buffer.from(stdout).toString(), '{"ok":true}');
    assert.equal(readFileSync(join(out, 'stdin'), 'utf8'), '{"some":"stdin"}');
    const env = readFileSync(join(out, 'env'), 'utf8').split('\n');
    assert.ok(env.includes('CNI_COMMAND=ADD'));
    assert.ok(!env.some((l) => l.startsWith('HOME=')), 'nothing inherited beyond the given env');
  });

  it('forwards the stderr of a successful plugin to the given sink', async () => {
    const s = sink();
    const p = script('chatty', `echo 'some stderr message' >&2\nprintf '{}'`);
    await execPlugin(p, '', baseEnv, { stderr: s });
    assert.equal(s.text(), 'some stderr message\n');
  });

  it('does not forward stderr of a failed plugin, and quotes it in the error', async () => {
    const s = sink();
    const p = script('stderr-fail', `printf 'some stderr message' >&2\nexit 1`);
    const err = await rejection(execPlugin(p, '', baseEnv, { stderr: s }));
    assert.ok(err instanceof CniError);
    assert.equal(err.message, 'netplugin failed: "some stderr message": exit status 1');
    assert.equal(err.code, 0);
    assert.equal(s.text(), '');
  });

  it('returns the plugin error decoded from stdout', async () => {
    const p = script('json-error', `printf '%s' '{"cniVersion":"1.1.0","code":7,"msg":"plugin error: banana","details":"more"}'\nexit 1`);
    const err = await rejection(execPlugin(p, '', baseEnv));
    assert.ok(err instanceof CniError);
    assert.equal(err.code, 7);
    assert.equal(err.msg, 'plugin error: banana');
    assert.equal(err.details, 'more');
    assert.equal(err.message, 'plugin error: banana; more');
  });

  it('synthesizes an error when there is no output at all', async () => {
    const p = script('silent-fail', 'exit 3');
    assert.equal((await rejection(execPlugin(p, '', baseEnv))).message, 'netplugin failed with no error message: exit status 3');
  });

  it('reports unparsable diagnostic output with Go\'s JSON message', async () => {
    const p = script('garbage', `printf 'not json'\nexit 1`);
    assert.equal(
      (await rejection(execPlugin(p, '', baseEnv))).message,
      `netplugin failed but error parsing its diagnostic message "not json": invalid character 'o' in literal null (expecting 'u')`,
    );
    const q = script('bad-code', `printf '{"code":"x","msg":"m","details":"d"}'\nexit 1`);
    const err = (await rejection(execPlugin(q, '', baseEnv))) as CniError;
    assert.equal(err.msg, `netplugin failed but error parsing its diagnostic message "{\\"code\\":\\"x\\",\\"msg\\":\\"m\\",\\"details\\":\\"d\\"}": json: cannot unmarshal string into Go struct field Error.code of type uint`);
    assert.equal(err.details, 'd');
  });

  it('names the missing executable like Go\'s fork/exec', async () => {
    const missing = join(root, 'does-not-exist');
    assert.equal((await rejection(execPlugin(missing, '', baseEnv))).message, `netplugin failed with no error message: fork/exec ${missing}: no such file or directory`);
  });

  it('names signals as Go does', async () => {
    const p = script('self-term', 'kill -TERM $$');
    assert.equal((await rejection(execPlugin(p, '', baseEnv))).message, 'netplugin failed with no error message: signal: terminated');
  });

  it('kills the plugin with SIGKILL when the signal aborts', async () => {
    const p = script('sleeper', 'exec sleep 60');
    const started = Date.now();
    const err = await rejection(execPlugin(p, '', baseEnv, { signal: AbortSignal.timeout(200) }));
    assert.equal(err.message, 'netplugin failed with no error message: signal: killed');
    assert.ok(Date.now() - started < 5000);
  });

  it('does not start a plugin for an already aborted signal', async () => {
    const p = script('never', `touch "${join(root, 'never-ran')}"`);
    const ac = new AbortController();
    ac.abort();
    assert.equal((await rejection(execPlugin(p, '', baseEnv, { signal: ac.signal }))).message, 'netplugin failed with no error message: context canceled');
    assert.throws(() => readFileSync(join(root, 'never-ran')));
  });

  it('retries a plugin whose file is still being written, with a fresh process each attempt', async () => {
    const p = script('busy', `echo run >> "${join(root, 'busy-runs')}"\nprintf '{"attempt":"done"}'`);
    const fd = openSync(p, 'r+');
    const waits: number[] = [];
    const stdout = await execPlugin(p, '', baseEnv, {
      sleep: async (ms) => {
        waits.push(ms);
        if (waits.length === 2) closeSync(fd);
      },
    });
    assert.equal(Buffer.from(stdout).toString(), '{"attempt":"done"}');
    assert.deepEqual(waits, [1000, 1000], 'two busy attempts, each followed by the 1 s wait');
    assert.equal(readFileSync(join(root, 'busy-runs'), 'utf8'), 'run\n');
  });

  it('gives up after six busy attempts with the exec error', async () => {
    const p = script('always-busy', 'true');
    const fd = openSync(p, 'r+');
    let waits = 0;
    try {
      const err = await rejection(
        execPlugin(p, '', baseEnv, {
          sleep: async () => {
            waits++;
          },
        }),
      );
      assert.equal(err.message, `netplugin failed with no error message: fork/exec ${p}: text file busy`);
      assert.equal(waits, 5);
    } finally {
      closeSync(fd);
    }
  });
});

describe('pluginError', () => {
  it('keeps any JSON object as the error, missing fields empty', () => {
    const e = pluginError('exit status 1', Buffer.from('{"other":1}'), new Uint8Array());
    assert.equal(e.code, 0);
    assert.equal(e.msg, '');
    assert.equal(pluginError('exit status 1', Buffer.from('{"Code":3,"MSG":"x"}'), new Uint8Array()).message, 'x');
    assert.equal(
      pluginError('exit status 1', Buffer.from('[1]'), new Uint8Array()).message,
      'netplugin failed but error parsing its diagnostic message "[1]": json: cannot unmarshal array into Go value of type types.Error',
    );
  });
});

describe('results', () => {
  const resultOf = (conf: string, stdout: string): ReturnType<typeof fixupResultVersion> => fixupResultVersion(conf, stdout);

  it('uses the result\'s own version, else the config\'s, else 0.1.0', () => {
    assert.equal(resultOf('{"cniVersion":"0.3.1"}', '{"cniVersion":"1.0.0"}').version, '1.0.0');
    assert.equal(resultOf('{"cniVersion":"0.3.1"}', '{"ips":[]}').version, '0.3.1');
    assert.equal(resultOf('{"cniVersion":"0.3.1"}', '{"cniVersion":""}').version, '0.3.1');
    assert.equal(resultOf('{}', '{}').version, '0.1.0');
    assert.deepEqual(resultOf('{"cniVersion":"1.1.0"}', 'null').json, { cniVersion: '1.1.0' });
  });

  it('words unreadable results as the reference', () => {
    assert.throws(() => resultOf('{}', ''), { message: 'failed to unmarshal raw result: unexpected end of JSON input' });
    assert.throws(() => resultOf('{}', '[]'), { message: 'failed to unmarshal raw result: json: cannot unmarshal array into Go value of type map[string]interface {}' });
    assert.throws(() => resultOf('{', '{}'), /^Error: decoding version from network config: /);
  });

  it('execPluginWithResult parses the result in the fixed-up version', async () => {
    const p = script('result', `cat > /dev/null\nprintf '%s' '{"ips":[{"version":"4","address":"10.1.2.3/24"}],"dns":{}}'`);
    const r = await execPluginWithResult(p, '{"cniVersion":"0.3.1","name":"n","type":"x"}', baseEnv);
    assert.deepEqual(r, { cniVersion: '0.3.1', ips: [{ version: '4', address: '10.1.2.3/24' }], dns: {} });
    const q = script('bad-version', `printf '%s' '{"cniVersion":"1.2.0"}'`);
    assert.equal((await rejection(execPluginWithResult(q, '{}', baseEnv))).message, 'unsupported CNI result version "1.2.0"');
  });

  it('execPluginWithoutResult ignores stdout and propagates failures', async () => {
    const p = script('prints', `printf 'anything'`);
    await execPluginWithoutResult(p, '{}', baseEnv);
    const q = script('fails', 'exit 1');
    assert.equal((await rejection(execPluginWithoutResult(q, '{}', baseEnv))).message, 'netplugin failed with no error message: exit status 1');
  });

  it('uses an injected executor', async () => {
    const calls: { path: string; stdin: string; env: Env }[] = [];
    const fake: Exec = {
      async execPlugin(path, stdin, env) {
        calls.push({ path, stdin: Buffer.from(stdin).toString(), env });
        return Buffer.from('{"cniVersion":"0.4.0"}');
      },
      findInPath: async (plugin) => `/fake/${plugin}`,
      decode: () => ({ cniVersion: '1.1.0', supportedVersions: ['0.4.0'] }),
    };
    const r = await execPluginWithResult('/fake/p', '{"cniVersion":"0.4.0"}', { A: 'b' }, { exec: fake });
    assert.equal(r.cniVersion, '0.4.0');
    assert.deepEqual(calls, [{ path: '/fake/p', stdin: '{"cniVersion":"0.4.0"}', env: { A: 'b' } }]);
  });
});

describe('getVersionInfo', () => {
  it('sends VERSION with dummy parameters and decodes the reply', async () => {
    const out = join(root, 'version-out');
    mkdirSync(out);
    const p = script('versioned', `cat > "${out}/stdin"\nenv > "${out}/env"\nprintf '%s' '{"cniVersion":"1.1.0","supportedVersions":["0.4.0","1.0.0"]}'`);
    const info = await getVersionInfo(p, { exec: new RawExec({ stderr: null }) });
    assert.deepEqual(info, { cniVersion: '1.1.0', supportedVersions: ['0.4.0', '1.0.0'] });
    assert.equal(readFileSync(join(out, 'stdin'), 'utf8'), '{"cniVersion":"1.1.0"}');
    const env = readFileSync(join(out, 'env'), 'utf8').split('\n');
    for (const line of ['CNI_COMMAND=VERSION', 'CNI_NETNS=dummy', 'CNI_IFNAME=dummy', 'CNI_PATH=dummy', 'CNI_CONTAINERID=', 'CNI_ARGS=']) {
      assert.ok(env.includes(line), line);
    }
  });

  it('treats a plugin that does not know VERSION as supporting 0.1.0', async () => {
    const p = script('legacy', `printf '%s' '{"code":4,"msg":"unknown CNI_COMMAND: VERSION"}'\nexit 1`);
    assert.deepEqual((await getVersionInfo(p)).supportedVersions, ['0.1.0']);
  });

  it('reports undecodable replies and other failures', async () => {
    const p = script('bad-reply', `printf '{"cniVersion":"1.0.0"}'`);
    assert.equal((await rejection(getVersionInfo(p))).message, 'decoding version info: missing field supportedVersions');
    const q = script('version-fails', `printf '%s' '{"code":4,"msg":"unknown CNI_COMMAND: VERSION","details":"x"}'\nexit 1`);
    assert.equal((await rejection(getVersionInfo(q))).message, 'unknown CNI_COMMAND: VERSION; x');
  });
});

describe('delegation', () => {
  it('finds the delegate in CNI_PATH and forces the command', async () => {
    const dir = join(root, 'delegates');
    mkdirSync(dir);
    script('ipam', `printf '%s' "{\\"cniVersion\\":\\"1.1.0\\",\\"ips\\":[{\\"address\\":\\"10.0.0.2/24\\"}],\\"dns\\":{\\"domain\\":\\"$CNI_COMMAND-$CNI_IFNAME\\"}}"`, dir);
    const env = { ...baseEnv, CNI_PATH: `${join(root, 'nowhere')}:${dir}`, CNI_COMMAND: 'DEL', CNI_IFNAME: 'eth9' };
    const r = await delegateAdd('ipam', '{"cniVersion":"1.1.0"}', { env });
    assert.deepEqual(r, { cniVersion: '1.1.0', ips: [{ address: '10.0.0.2/24' }], dns: { domain: 'ADD-eth9' } });
    assert.equal(env.CNI_COMMAND, 'DEL');
    await delegateDel('ipam', '{"cniVersion":"1.1.0"}', { env });
    assert.equal(
      (await rejection(delegateAdd('nope', '{}', { env }))).message,
      `failed to find plugin "nope" in path [${join(root, 'nowhere')} ${dir}]`,
    );
    assert.equal((await rejection(delegateAdd('ipam', '{}', { env: {} }))).message, 'no paths provided');
  });
});
