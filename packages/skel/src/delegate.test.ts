// Delegation to a scripted plugin written into a temp dir, as the reference's delegate_test.go.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CniError } from '@tscni/spec/errors';
import { delegateAdd, delegateCheck, delegateDel, delegateGC, delegateStatus, type DelegateOptions } from './delegate.js';
import { findInPath, pluginError } from '@tscni/spec/invoke';

// Records what it was run with, then does what the config's "fake" key says.
const FAKE_PLUGIN = `#!/usr/bin/env node
const fs = require('fs');
const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('end', () => {
  const stdin = Buffer.concat(chunks).toString();
  fs.appendFileSync(process.env.FAKE_LOG, JSON.stringify({ command: process.env.CNI_COMMAND, ifName: process.env.CNI_IFNAME, stdin }) + '\\n');
  let act = {};
  try { act = JSON.parse(stdin).fake || {}; } catch {}
  if (act.stderr) process.stderr.write(act.stderr);
  if (act.stdout !== undefined) process.stdout.write(act.stdout);
  setTimeout(() => process.exit(act.exit || 0), act.sleep || 0);
});
`;

let dir: string;
let binA: string;
let binB: string;
let log: string;

function conf(fake: object = {}, version: string | null = '1.1.0'): string {
  return JSON.stringify({ ...(version ? { cniVersion: version } : {}), name: 'net', type: 'outer', ipam: { type: 'fake' }, fake });
}

function runs(): { command: string; ifName: string; stdin: string }[] {
  try {
    return readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
  } catch {
    return [];
  }
}

function opts(extra: Partial<DelegateOptions> = {}): DelegateOptions {
  return { env: { ...process.env, CNI_PATH: `${binA}:${binB}`, CNI_COMMAND: 'DEL', CNI_IFNAME: 'eth7', FAKE_LOG: log }, ...extra };
}

async function rejection(p: Promise<unknown>): Promise<CniError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof CniError, `not a CniError: ${String(e)}`);
    return e;
  }
  assert.fail('did not reject');
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'skel-delegate-'));
  binA = join(dir, 'a');
  binB = join(dir, 'b');
  mkdirSync(binA);
  mkdirSync(binB);
  // A directory of the same name earlier in the path must be skipped.
  mkdirSync(join(binA, 'fake'));
  writeFileSync(join(binB, 'fake'), FAKE_PLUGIN);
  chmodSync(join(binB, 'fake'), 0o755);
  log = join(dir, 'log');
});

after(() => rmSync(dir, { recursive: true, force: true }));

describe('delegateAdd', () => {
  it('runs the plugin found in CNI_PATH with ADD, the caller env and the config, and parses its result', async () => {
    writeFileSync(log, '');
    const env = opts().env!;
    const netconf = conf({ stdout: '{"cniVersion":"1.0.0","ips":[{"address":"10.0.0.5/24"}]}' });
    const result = await delegateAdd('fake', netconf, { env });
    assert.deepEqual(result, { cniVersion: '1.0.0', ips: [{ address: '10.0.0.5/24' }] });
    assert.deepEqual(runs(), [{ command: 'ADD', ifName: 'eth7', stdin: netconf }]);
    assert.equal(env['CNI_COMMAND'], 'DEL');
  });
  it("takes the config's version for a result without one", async () => {
    const result = await delegateAdd('fake', conf({ stdout: '{"ips":[{"version":"4","address":"10.0.0.5/24"}]}' }, '0.3.1'), opts());
    assert.equal(result.cniVersion, '0.3.1');
  });
  it('falls back to 0.1.0 when neither has a version', async () => {
    const result = await delegateAdd('fake', conf({ stdout: '{"ip4":{"ip":"10.0.0.5/24"}}' }, null), opts());
    assert.deepEqual(result, { cniVersion: '0.1.0', ip4: { ip: '10.0.0.5/24' } });
  });
  it('treats null output as an empty result', async () => {
    assert.deepEqual(await delegateAdd('fake', conf({ stdout: 'null' }), opts()), { cniVersion: '1.1.0' });
  });
  it('refuses output that is not a result', async () => {
    await assert.rejects(delegateAdd('fake', conf({}), opts()), { message: 'failed to unmarshal raw result: unexpected end of JSON input' });
    await assert.rejects(delegateAdd('fake', conf({ stdout: '[]' }), opts()), {
      message: 'failed to unmarshal raw result: json: cannot unmarshal array into Go value of type map[string]interface {}',
    });
    await assert.rejects(delegateAdd('fake', conf({ stdout: '{"cniVersion":"0.4567.0"}' }), opts()), {
      message: 'unsupported CNI result version "0.4567.0"',
    });
  });
  it('uses process.env by default without changing it', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, { CNI_PATH: binB, CNI_COMMAND: 'CHECK', FAKE_LOG: log });
    try {
      writeFileSync(log, '');
      await delegateAdd('fake', conf({ stdout: '{}' }));
      assert.equal(runs()[0]?.command, 'ADD');
      assert.equal(process.env['CNI_COMMAND'], 'CHECK');
    } finally {
      for (const k of ['CNI_PATH', 'CNI_COMMAND', 'FAKE_LOG']) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    }
  });
});

describe('delegateCheck, delegateDel, delegateGC, delegateStatus', () => {
  const cases: [string, (t: string, c: string, o: DelegateOptions) => Promise<void>][] = [
    ['CHECK', delegateCheck],
    ['DEL', delegateDel],
    ['GC', delegateGC],
    ['STATUS', delegateStatus],
  ];
  for (const [command, fn] of cases) {
    it(`runs the plugin with CNI_COMMAND=${command} and ignores its output`, async () => {
      writeFileSync(log, '');
      const netconf = conf({ stdout: 'not json' });
      await fn('fake', netconf, opts());
      assert.deepEqual(runs(), [{ command, ifName: 'eth7', stdin: netconf }]);
    });
  }
  it("returns a failing delegate's error with its code", async () => {
    const e = await rejection(delegateStatus('fake', conf({ stdout: '{"code":50,"msg":"plugin not available","details":"no leases"}', exit: 1 }), opts()));
    assert.deepEqual(e.toJSON(), { code: 50, msg: 'plugin not available', details: 'no leases' });
  });
});

describe('failures', () => {
  it('names the plugin and the path when it is not found', async () => {
    await assert.rejects(delegateAdd('x', conf(), opts()), { message: `failed to find plugin "x" in path [${binA} ${binB}]` });
  });
  it('refuses names with a slash, no name and no path as the reference does', async () => {
    await assert.rejects(delegateAdd('../pluginname', conf(), opts()), { message: 'invalid plugin name: ../pluginname' });
    await assert.rejects(delegateAdd('', conf(), opts()), { message: 'no plugin name provided' });
    await assert.rejects(findInPath('fake', []), { message: 'no paths provided' });
    assert.equal(await findInPath('fake', [binA, binB]), join(binB, 'fake'));
  });
  it('treats an empty CNI_PATH as no paths', async () => {
    await assert.rejects(delegateDel('fake', conf(), { env: { CNI_PATH: '' } }), { message: 'no paths provided' });
  });
  it('builds the message from stderr when stdout is empty', async () => {
    const e = await rejection(delegateDel('fake', conf({ stderr: 'some stderr message', exit: 1 }), opts()));
    assert.deepEqual(e.toJSON(), { code: 0, msg: 'netplugin failed: "some stderr message": exit status 1' });
  });
  it('says there was no message when there was none', async () => {
    const e = await rejection(delegateDel('fake', conf({ exit: 1 }), opts()));
    assert.equal(e.msg, 'netplugin failed with no error message: exit status 1');
  });
  it('quotes undecodable error output', async () => {
    const e = await rejection(delegateDel('fake', conf({ stdout: 'nope', exit: 3 }), opts()));
    assert.equal(e.msg, `netplugin failed but error parsing its diagnostic message "nope": invalid character 'o' in literal null (expecting 'u')`);
  });
  it('kills the delegate when the signal aborts', async () => {
    const e = await rejection(delegateCheck('fake', conf({ sleep: 60_000 }), opts({ signal: AbortSignal.timeout(200) })));
    assert.equal(e.msg, 'netplugin failed with no error message: signal: killed');
  });
  it('does not start when already aborted', async () => {
    const e = await rejection(delegateCheck('fake', conf(), opts({ signal: AbortSignal.abort() })));
    assert.equal(e.msg, 'netplugin failed with no error message: context canceled');
  });
  it('passes the delegate stderr on', async () => {
    let stderr = '';
    await delegateGC('fake', conf({ stderr: 'log line\n' }), opts({ stderr: { write: (s) => (stderr += s) } }));
    assert.equal(stderr, 'log line\n');
  });
  it('reports a file that cannot be executed as Go does', async () => {
    writeFileSync(join(binA, 'noexec'), '#!/bin/sh\n');
    const e = await rejection(delegateDel('noexec', conf(), opts()));
    assert.equal(e.msg, `netplugin failed with no error message: fork/exec ${join(binA, 'noexec')}: permission denied`);
  });
});

describe('pluginError', () => {
  it('decodes error JSON as Go decodes types.Error', () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    const none = new Uint8Array();
    assert.deepEqual(pluginError('exit status 1', enc('{"Code":7,"MSG":"bad"}'), none).toJSON(), { code: 7, msg: 'bad' });
    assert.deepEqual(pluginError('exit status 1', enc('{"cniVersion":"1.1.0","code":7,"msg":"m","details":"d"}'), none).toJSON(), { code: 7, msg: 'm', details: 'd' });
    assert.deepEqual(pluginError('exit status 1', enc('{"code":7,"msg":5}'), none).toJSON(), {
      code: 7,
      msg: 'netplugin failed but error parsing its diagnostic message "{\\"code\\":7,\\"msg\\":5}": json: cannot unmarshal number into Go struct field Error.msg of type string',
    });
    assert.equal(pluginError('exit status 1', enc('{"code":-1}'), none).msg.endsWith('json: cannot unmarshal number -1 into Go struct field Error.code of type uint'), true);
    assert.deepEqual(pluginError('exit status 1', enc('{"other":1}'), none).toJSON(), { code: 0, msg: '' });
  });
});
