/**
 * How CNIConfig runs plugins: cancellation of every API through AbortSignal (the
 * reference's context timeouts with its `sleep` plugin), the "text file busy" retry, and
 * an injected executor.
 */
import assert from 'node:assert/strict';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { confFromBytes, networkConfFromBytes } from '@tscni/spec/config';
import { RawExec, type Env, type Exec } from '@tscni/spec/invoke';
import { CNIConfig } from './api.js';
import type { RuntimeConf } from './runtime-conf.js';
import { cleanup, installPlugins, newDebugFile, readDebug, rejection, tempDir } from './testdata/fixtures.js';

let bin: ReturnType<typeof installPlugins>;
let work: string;

before(() => {
  bin = installPlugins();
});

after(() => {
  cleanup(bin.binDir);
});

beforeEach(() => {
  work = tempDir('api-exec');
});

afterEach(() => {
  cleanup(work);
});

describe('cancellation', () => {
  const KILLED = 'netplugin failed with no error message: signal: killed';
  const pluginConfig = '{"type":"sleep","name":"apitest","some-key":"some-value","cniVersion":"1.1.0","capabilities":{"portMappings":true}}';
  const rt: RuntimeConf = { containerID: 'some-container-id', netNS: '/some/netns/path', ifName: 'some-eth0' };
  const signal = (): { signal: AbortSignal } => ({ signal: AbortSignal.timeout(300) });
  let cni: CNIConfig;

  beforeEach(() => {
    cni = new CNIConfig({ path: [bin.binDir], cacheDir: join(work, 'cache') });
  });

  const net = () => confFromBytes(pluginConfig);
  const list = () => networkConfFromBytes(`{"name":"some-list","cniVersion":"1.1.0","plugins":[${pluginConfig}]}`);

  it('kills the plugin of every API when the signal fires', async () => {
    const calls: [string, () => Promise<unknown>][] = [
      ['addNetwork', () => cni.addNetwork(net(), rt, signal())],
      ['delNetwork', () => cni.delNetwork(net(), rt, signal())],
      ['checkNetwork', () => cni.checkNetwork(net(), rt, signal())],
      ['getVersionInfo', () => cni.getVersionInfo('sleep', signal())],
      ['validateNetwork', () => cni.validateNetwork(net(), signal())],
      ['addNetworkList', () => cni.addNetworkList(list(), rt, signal())],
      ['delNetworkList', () => cni.delNetworkList(list(), rt, signal())],
      ['checkNetworkList', () => cni.checkNetworkList(list(), rt, signal())],
      ['validateNetworkList', () => cni.validateNetworkList(list(), signal())],
      ['getStatusNetworkList', () => cni.getStatusNetworkList(list(), signal())],
      ['gcNetworkList', () => cni.gcNetworkList(list(), {}, signal())],
    ];
    await Promise.all(
      calls.map(async ([name, call]) => {
        const started = Date.now();
        const err = await rejection(call());
        assert.ok(err.message.includes(KILLED), `${name}: ${err.message}`);
        assert.ok(Date.now() - started < 10_000, name);
      }),
    );
  });

  it('keeps the exact messages around the kill', async () => {
    assert.equal((await rejection(cni.addNetworkList(list(), rt, signal()))).message, `plugin type="sleep" name="apitest" failed (add): ${KILLED}`);
    assert.equal((await rejection(cni.addNetwork(net(), rt, signal()))).message, KILLED);
    assert.equal((await rejection(cni.validateNetworkList(list(), signal()))).message, `[${KILLED}]`);
    assert.equal((await rejection(cni.gcNetworkList(list(), {}, signal()))).message, `failed to GC plugin sleep: ${KILLED}`);
  });

  it('refuses to start once the signal has fired', async () => {
    const ac = new AbortController();
    ac.abort();
    assert.equal((await rejection(cni.addNetwork(net(), rt, { signal: ac.signal }))).message, 'netplugin failed with no error message: context canceled');
    await assert.rejects(cni.getCachedAttachments('', { signal: ac.signal }), { name: 'AbortError' });
  });
});

describe('text file busy', () => {
  it('retries a plugin that is still being written until it can run', async () => {
    const debugFilePath = newDebugFile(work, { reportResult: '{"cniVersion":"1.1.0","ips":[{"address":"10.1.2.3/24"}]}' });
    const fd = openSync(bin.noop, 'r+');
    const waits: number[] = [];
    const exec = new RawExec({
      stderr: null,
      sleep: async (ms) => {
        waits.push(ms);
        if (waits.length === 3) closeSync(fd);
      },
    });
    const cni = new CNIConfig({ path: [bin.binDir], cacheDir: join(work, 'cache'), exec });
    const conf = confFromBytes('{"type":"noop","name":"busy","cniVersion":"1.1.0"}');
    const r = await cni.addNetwork(conf, { containerID: 'c1', netNS: '/ns', ifName: 'eth0', args: [['DEBUG', debugFilePath]] });
    assert.equal(r.cniVersion, '1.1.0');
    assert.deepEqual(waits, [1000, 1000, 1000]);
    assert.equal(readDebug(debugFilePath).command, 'ADD');
  });
});

describe('an injected executor', () => {
  it('receives the plugin path, request config and environment', async () => {
    const calls: { path: string; stdin: string; env: Env }[] = [];
    const exec: Exec = {
      async execPlugin(path, stdin, env) {
        calls.push({ path, stdin: Buffer.from(stdin).toString(), env });
        return Buffer.from('{"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.0.0.2/24"}],"dns":{}}');
      },
      findInPath: async (plugin, paths) => `${paths[1]}/${plugin}`,
      decode: () => ({ cniVersion: '1.1.0', supportedVersions: ['0.4.0'] }),
    };
    const cni = new CNIConfig({ path: ['/opt/a', '/opt/b'], cacheDir: join(work, 'cache'), exec });
    const list = networkConfFromBytes('{"name":"n","cniVersion":"0.4.0","plugins":[{"type":"fake"}]}');
    const r = await cni.addNetworkList(list, { containerID: 'c1', netNS: '/ns', ifName: 'eth0', args: [['A', '1'], ['B', '2']] });
    assert.equal(r?.cniVersion, '0.4.0');
    assert.equal(calls.length, 1);
    const [call] = calls;
    assert.equal(call!.path, '/opt/b/fake');
    assert.equal(call!.stdin, '{"cniVersion":"0.4.0","name":"n","type":"fake"}');
    assert.deepEqual(
      [call!.env['CNI_COMMAND'], call!.env['CNI_CONTAINERID'], call!.env['CNI_NETNS'], call!.env['CNI_IFNAME'], call!.env['CNI_ARGS'], call!.env['CNI_PATH']],
      ['ADD', 'c1', '/ns', 'eth0', 'A=1;B=2', '/opt/a:/opt/b'],
    );
    assert.deepEqual(await cni.validateNetworkList(list), []);
    await cni.delNetworkList(list, { containerID: 'c1', netNS: '/ns', ifName: 'eth0' });
    assert.deepEqual(calls.map((c) => c.env['CNI_COMMAND']), ['ADD', 'VERSION', 'DEL']);
    assert.equal(calls[2]!.stdin, '{"cniVersion":"0.4.0","name":"n","prevResult":{"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.0.0.2/24"}],"dns":{}},"type":"fake"}');
  });
});
