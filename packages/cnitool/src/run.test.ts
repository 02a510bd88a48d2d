import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { containerIDForNetns, type Invocation } from './cli.js';
import { runInvocation } from './run.js';

// A scripted plugin: logs each command and answers as its config says.
const PLUGIN = `#!/usr/bin/env node
const fs = require('fs');
const cmd = process.env.CNI_COMMAND;
if (cmd === 'VERSION') { process.stdout.write(JSON.stringify({ cniVersion: '1.1.0', supportedVersions: ['0.4.0', '1.0.0', '1.1.0'] })); process.exit(0); }
const conf = JSON.parse(fs.readFileSync(0, 'utf8'));
fs.appendFileSync(conf.log, JSON.stringify({ cmd, containerID: process.env.CNI_CONTAINERID, ifname: process.env.CNI_IFNAME, args: process.env.CNI_ARGS, runtimeConfig: conf.runtimeConfig }) + '\\n');
if (conf.fail) { process.stdout.write(JSON.stringify({ code: 7, msg: 'bad config', details: 'the test said so' })); process.exit(1); }
if (cmd === 'ADD') process.stdout.write(JSON.stringify({ cniVersion: conf.cniVersion, ips: [{ address: '10.1.2.3/24', gateway: '10.1.2.1' }] }));
`;

describe('cnitool run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tscni-cnitool-'));
  const bin = join(dir, 'bin');
  const conf = join(dir, 'net.d');
  const cache = join(dir, 'cache');
  const log = join(dir, 'log');
  let out = '';
  let err = '';
  const io = { stdout: (t: string) => void (out += t), stderr: (t: string) => void (err += t) };
  const env = { CNI_PATH: bin, NETCONFPATH: conf, CNI_CACHE_DIR: cache, CNI_ARGS: 'K=V', CAP_ARGS: '{"portMappings":[{"hostPort":1}]}' };
  const net = (command: 'add' | 'check' | 'del' | 'gc' | 'status', network = 'testnet', json = false): Invocation => ({
    kind: 'network',
    command,
    network,
    netns: '/run/netns/cnitool-test',
    ifName: 'eth0',
    json,
  });
  const calls = () =>
    readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { cmd: string; containerID: string; args: string; runtimeConfig?: unknown });

  before(() => {
    mkdirSync(bin);
    mkdirSync(conf);
    writeFileSync(join(bin, 'scripted'), PLUGIN);
    chmodSync(join(bin, 'scripted'), 0o755);
    writeFileSync(
      join(conf, '10-test.conflist'),
      JSON.stringify({ cniVersion: '1.1.0', name: 'testnet', plugins: [{ type: 'scripted', log, capabilities: { portMappings: true } }] }),
    );
    writeFileSync(
      join(conf, '20-fail.conflist'),
      JSON.stringify({ cniVersion: '1.1.0', name: 'failnet', plugins: [{ type: 'scripted', log, fail: true }] }),
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('add prints the result in the reference bytes and caches it under the derived container ID', async () => {
    out = '';
    assert.equal(await runInvocation(net('add'), env, io), 0);
    assert.equal(out, '{\n    "cniVersion": "1.1.0",\n    "ips": [\n        {\n            "address": "10.1.2.3/24",\n            "gateway": "10.1.2.1"\n        }\n    ]\n}');
    const cid = containerIDForNetns('/run/netns/cnitool-test');
    const last = calls().at(-1)!;
    assert.equal(last.cmd, 'ADD');
    assert.equal(last.containerID, cid);
    assert.equal(last.args, 'K=V');
    assert.deepEqual(last.runtimeConfig, { portMappings: [{ hostPort: 1 }] });
    assert.ok(existsSync(join(cache, 'results', `testnet-${cid}-eth0`)));
  });

  it('check, status and gc run the plugin; del removes the cache', async () => {
    assert.equal(await runInvocation(net('check'), env, io), 0);
    assert.equal(calls().at(-1)!.cmd, 'CHECK');
    assert.equal(await runInvocation(net('status'), env, io), 0);
    assert.equal(calls().at(-1)!.cmd, 'STATUS');
    assert.equal(await runInvocation(net('del'), env, io), 0);
    assert.equal(calls().at(-1)!.cmd, 'DEL');
    const cid = containerIDForNetns('/run/netns/cnitool-test');
    assert.ok(!existsSync(join(cache, 'results', `testnet-${cid}-eth0`)));
    assert.equal(await runInvocation(net('gc'), env, io), 0);
    assert.equal(calls().at(-1)!.cmd, 'GC');
  });

  it('prints a failure as one line with its code on stderr, or as JSON with --json', async () => {
    err = '';
    out = '';
    assert.equal(await runInvocation(net('add', 'failnet'), env, io), 1);
    assert.equal(err, 'cnitool: error (code 7): plugin type="scripted" failed (add): bad config; the test said so\n');
    assert.equal(out, '');
    assert.equal(await runInvocation(net('add', 'failnet', true), env, io), 1);
    assert.deepEqual(JSON.parse(out), { code: 7, msg: 'bad config', details: 'the test said so' });
  });

  it('reports a missing network and a bad CNI_ARGS', async () => {
    err = '';
    assert.equal(await runInvocation(net('add', 'nonet'), env, io), 1);
    assert.equal(err, `cnitool: error: no net configuration with name "nonet" in ${conf}\n`);
    err = '';
    assert.equal(await runInvocation(net('add'), { ...env, CNI_ARGS: 'A=' }, io), 1);
    assert.equal(err, 'cnitool: error: invalid CNI_ARGS pair "A="\n');
  });

  it('version asks the plugin and prints its versions', async () => {
    out = '';
    assert.equal(await runInvocation({ kind: 'version', plugin: 'scripted', json: false }, env, io), 0);
    assert.equal(out, 'scripted: CNI protocol versions supported: 0.4.0, 1.0.0, 1.1.0\n');
    out = '';
    assert.equal(await runInvocation({ kind: 'version', plugin: 'scripted', json: true }, env, io), 0);
    assert.deepEqual(JSON.parse(out), { cniVersion: '1.1.0', supportedVersions: ['0.4.0', '1.0.0', '1.1.0'] });
  });
});
