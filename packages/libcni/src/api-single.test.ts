/**
 * CNIConfig with a single plugin config (AddNetwork & co.), driven through the scripted
 * `noop` plugin, as the reference's api_test.go "Capabilities" and "Invoking a single plugin".
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { confFromBytes, type PluginConfig } from '@tscni/spec/config';
import { CniError } from '@tscni/spec/errors';
import { goMarshalSorted } from '@tscni/spec/gojson';
import { resultToJSON } from '@tscni/spec/result-print';
import { CNIConfig } from './api.js';
import { isCheckNotSupported } from './errors.js';
import type { RuntimeConf } from './runtime-conf.js';
import { cleanup, type Debug, installPlugins, newDebugFile, parseObject, readDebug, rejection, tempDir, writeDebug } from './testdata/fixtures.js';

const IP_RESULT = '{"cniVersion":"1.1.0","ips":[{"address":"10.1.2.3/24"}],"dns":{}}';
const portMappings = [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }];

let bin: ReturnType<typeof installPlugins>;
let work: string;
let cacheDir: string;
let debugFilePath: string;
let cni: CNIConfig;

before(() => {
  bin = installPlugins();
});

after(() => {
  cleanup(bin.binDir);
});

beforeEach(() => {
  work = tempDir('api-single');
  cacheDir = join(work, 'cache');
  debugFilePath = newDebugFile(work, { reportResult: IP_RESULT });
  cni = new CNIConfig({ path: [bin.binDir], cacheDir });
});

afterEach(() => {
  cleanup(work);
});

function cacheFile(netName: string, rt: RuntimeConf): string {
  return join(cacheDir, 'results', `${netName}-${rt.containerID}-${rt.ifName}`);
}

function writeCache(netName: string, rt: RuntimeConf, content: string): void {
  mkdirSync(dirname(cacheFile(netName, rt)), { recursive: true });
  writeFileSync(cacheFile(netName, rt), content);
}

describe('capabilities', () => {
  let netConfig: PluginConfig;
  let rt: RuntimeConf;

  beforeEach(() => {
    netConfig = confFromBytes(`{
      "type": "noop",
      "name": "apitest",
      "cniVersion": "1.1.0",
      "capabilities": { "portMappings": true, "somethingElse": true, "noCapability": false }
    }`);
    rt = {
      containerID: 'some-container-id',
      netNS: '/some/netns/path',
      ifName: 'some-eth0',
      args: [['DEBUG', debugFilePath]],
      capabilityArgs: { portMappings, somethingElse: ['foobar', 'baz'], noCapability: true, notAdded: [true, false] },
    };
  });

  it('passes only declared and provided capabilities in runtimeConfig', async () => {
    await cni.addNetwork(netConfig, rt);
    const debug = readDebug(debugFilePath);
    assert.equal(debug.command, 'ADD');
    const conf = parseObject(debug.cmdArgs!.stdinData);
    assert.deepEqual(conf['runtimeConfig'], { portMappings, somethingElse: ['foobar', 'baz'] });
    assert.deepEqual(conf['capabilities'], { portMappings: true, somethingElse: true, noCapability: false }, 'capabilities stay, as in the reference');
  });

  it('adds no runtimeConfig when the plugin advertises no used capabilities', async () => {
    rt.capabilityArgs = { portMappings22: portMappings, somethingElse22: ['foobar', 'baz'] };
    await cni.addNetwork(netConfig, rt);
    assert.ok(!('runtimeConfig' in parseObject(readDebug(debugFilePath).cmdArgs!.stdinData)));
  });

  it('reports the enabled capabilities on validation', async () => {
    assert.deepEqual((await cni.validateNetwork(netConfig)).sort(), ['portMappings', 'somethingElse']);
  });
});

describe('a single plugin', () => {
  const pluginConfig = `{
    "type": "noop",
    "name": "apitest",
    "some-key": "some-value",
    "cniVersion": "1.1.0",
    "capabilities": { "portMappings": true }
  }`;
  let netConfig: PluginConfig;
  let rt: RuntimeConf;
  let expectedStdin: string;

  beforeEach(() => {
    netConfig = confFromBytes(pluginConfig);
    rt = {
      containerID: 'some-container-id',
      netNS: '/some/netns/path',
      ifName: 'some-eth0',
      args: [['DEBUG', debugFilePath]],
      capabilityArgs: { portMappings },
    };
    expectedStdin = goMarshalSorted({ ...parseObject(pluginConfig), runtimeConfig: { portMappings } });
  });

  const expectedCmdArgs = (stdinData: string): Record<string, string> => ({
    containerID: 'some-container-id',
    netns: '/some/netns/path',
    ifName: 'some-eth0',
    args: `DEBUG=${debugFilePath}`,
    path: bin.binDir,
    stdinData,
  });

  describe('addNetwork', () => {
    it('runs ADD with the exact stdin and environment, and caches the attachment', async () => {
      const saved = { command: process.env['CNI_COMMAND'], marker: process.env['TSCNI_MARKER'] };
      process.env['CNI_COMMAND'] = 'bogus';
      process.env['TSCNI_MARKER'] = 'inherited';
      let r;
      try {
        r = await cni.addNetwork(netConfig, rt);
      } finally {
        if (saved.command === undefined) delete process.env['CNI_COMMAND'];
        else process.env['CNI_COMMAND'] = saved.command;
        if (saved.marker === undefined) delete process.env['TSCNI_MARKER'];
        else process.env['TSCNI_MARKER'] = saved.marker;
      }
      assert.deepEqual(resultToJSON(r), { cniVersion: '1.1.0', ips: [{ address: '10.1.2.3/24' }] });

      const debug = readDebug(debugFilePath);
      assert.equal(debug.command, 'ADD');
      assert.deepEqual(debug.cmdArgs, expectedCmdArgs(expectedStdin));
      assert.equal(debug.env!['CNI_COMMAND'], 'ADD', 'the runtime value wins over an inherited one');
      assert.equal(debug.env!['TSCNI_MARKER'], 'inherited', 'the runtime environment is inherited');

      const cached = await cni.getNetworkCachedConfig(netConfig, rt);
      assert.ok(cached);
      assert.equal(Buffer.from(cached.config).toString(), pluginConfig);
      assert.deepEqual(cached.rt.args, rt.args);
      assert.deepEqual(cached.rt.capabilityArgs, rt.capabilityArgs);

      const cachedResult = await cni.getNetworkCachedResult(netConfig, rt);
      assert.deepEqual(resultToJSON(cachedResult!), resultToJSON(r));

      const file = cacheFile('apitest', rt);
      assert.equal(
        readFileSync(file, 'utf8'),
        `{"kind":"cniCacheV1","containerId":"some-container-id","config":"${Buffer.from(pluginConfig).toString('base64')}","ifName":"some-eth0",` +
          `"networkName":"apitest","netns":"/some/netns/path","cniArgs":[["DEBUG",${JSON.stringify(debugFilePath)}]],` +
          '"capabilityArgs":{"portMappings":[{"containerPort":80,"hostPort":8080,"protocol":"tcp"}]},"result":{"cniVersion":"1.1.0","ips":[{"address":"10.1.2.3/24"}]}}',
      );
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.equal(statSync(dirname(file)).mode & 0o777, 0o700);

      for (const containerID of ['', rt.containerID]) {
        const attachments = await cni.getCachedAttachments(containerID);
        assert.equal(attachments.length, 1);
        assert.deepEqual({ ...attachments[0], config: Buffer.from(attachments[0]!.config).toString() }, {
          containerID: rt.containerID,
          network: 'apitest',
          netNS: rt.netNS,
          ifName: rt.ifName,
          config: pluginConfig,
          cniArgs: rt.args,
          capabilityArgs: rt.capabilityArgs,
        });
      }
    });

    it('forwards the plugin\'s stderr to the configured sink on success', async () => {
      const chunks: string[] = [];
      cni = new CNIConfig({ path: [bin.binDir], cacheDir, stderr: { write: (c: Uint8Array) => chunks.push(Buffer.from(c).toString()) } });
      writeDebug(debugFilePath, { reportResult: IP_RESULT, reportStderr: 'some stderr message' });
      await cni.addNetwork(netConfig, rt);
      assert.deepEqual(chunks, ['some stderr message']);
    });

    it('reports a missing plugin', async () => {
      netConfig.network.type = 'does-not-exist';
      assert.equal((await rejection(cni.addNetwork(netConfig, rt))).message, `failed to find plugin "does-not-exist" in path [${bin.binDir}]`);
    });

    it('returns the plugin\'s error unprefixed', async () => {
      writeDebug(debugFilePath, { reportError: 'plugin error: banana' });
      const err = await rejection(cni.addNetwork(netConfig, rt));
      assert.ok(err instanceof CniError);
      assert.equal(err.message, 'plugin error: banana');
      assert.equal(err.code, 999);
    });

    it('fails when the cache cannot be written', async () => {
      mkdirSync(cacheDir);
      writeFileSync(join(cacheDir, 'results'), 'afdsasdfasdf');
      const err = await rejection(cni.addNetwork(netConfig, rt));
      assert.equal(err.message, `failed to set network "apitest" cached result: mkdir ${join(cacheDir, 'results')}: not a directory`);
    });
  });

  describe('checkNetwork', () => {
    it('runs CHECK with the cached result as prevResult', async () => {
      const cachedJson = '{"cniVersion":"1.1.0","ips":[{"address":"10.1.2.3/24"}]}';
      writeCache('apitest', rt, cachedJson);
      await cni.checkNetwork(netConfig, rt);
      const debug = readDebug(debugFilePath);
      assert.equal(debug.command, 'CHECK');
      assert.deepEqual(debug.cmdArgs, expectedCmdArgs(goMarshalSorted({ ...parseObject(expectedStdin), prevResult: parseObject(cachedJson) })));
    });

    it('runs CHECK without prevResult when nothing is cached', async () => {
      await cni.checkNetwork(netConfig, rt);
      assert.equal(readDebug(debugFilePath).cmdArgs!.stdinData, expectedStdin);
    });

    it('reports a missing plugin and the plugin\'s error', async () => {
      writeDebug(debugFilePath, { reportError: 'plugin error: banana' });
      assert.equal((await rejection(cni.checkNetwork(netConfig, rt))).message, 'plugin error: banana');
      netConfig.network.type = 'does-not-exist';
      assert.match((await rejection(cni.checkNetwork(netConfig, rt))).message, /^failed to find plugin "does-not-exist"/);
    });

    it('refuses configs older than 0.4.0 without running the plugin', async () => {
      netConfig = confFromBytes('{"type":"noop","name":"apitest","cniVersion":"0.3.1"}');
      const err = await rejection(cni.checkNetwork(netConfig, rt));
      assert.equal(err.message, 'configuration version "0.3.1" does not support the CHECK command');
      assert.ok(isCheckNotSupported(err));
      assert.equal(readDebug(debugFilePath).command, undefined);
    });

    it('passes a legacy bare cached result as prevResult only', async () => {
      writeCache('apitest', rt, IP_RESULT);
      await cni.checkNetwork(netConfig, rt);
      const stdin = readDebug(debugFilePath).cmdArgs!.stdinData;
      assert.ok(stdin.includes('"prevResult":'));
      assert.ok(!stdin.includes('"config":'));
      assert.ok(!stdin.includes('"kind":'));
    });

    it('passes a 0.4.0 cached result to a 0.4.0 config', async () => {
      const ipResult = '{"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.1.2.3/24"}],"dns":{}}';
      netConfig = confFromBytes('{"type":"noop","name":"apitest","cniVersion":"0.4.0","capabilities":{"portMappings":true}}');
      writeCache('apitest', rt, ipResult);
      await cni.checkNetwork(netConfig, rt);
      const stdin = readDebug(debugFilePath).cmdArgs!.stdinData;
      assert.deepEqual(parseObject(stdin)['prevResult'], parseObject(ipResult));
    });

    it('fails on an unreadable or unconvertible cached result', async () => {
      writeCache('apitest', rt, 'adfadsfasdfasfdsafaf');
      assert.equal(
        (await rejection(cni.checkNetwork(netConfig, rt))).message,
        `failed to get network "apitest" cached result: decoding version from network config: invalid character 'a' looking for beginning of value`,
      );
      writeCache('apitest', rt, '{"cniVersion":"0.4567.0","ips":[{"version":"4","address":"10.1.2.3/24"}],"dns":{}}');
      assert.equal((await rejection(cni.checkNetwork(netConfig, rt))).message, 'failed to get network "apitest" cached result: unsupported CNI result version "0.4567.0"');
      writeCache('apitest', rt, '{"cniVersion":"0.3.1","ips":[{"version":"4","address":"10.1.2.3/24"}],"dns":{}}');
      await cni.checkNetwork(netConfig, rt);
      assert.deepEqual(parseObject(readDebug(debugFilePath).cmdArgs!.stdinData)['prevResult'], { cniVersion: '1.1.0', ips: [{ address: '10.1.2.3/24' }] });
    });
  });

  describe('delNetwork', () => {
    it('runs DEL with the cached result, then forgets the attachment', async () => {
      const cachedJson = '{"cniVersion":"1.1.0","ips":[{"address":"10.1.2.3/24"}]}';
      writeCache('apitest', rt, cachedJson);
      await cni.delNetwork(netConfig, rt);
      const debug = readDebug(debugFilePath);
      assert.equal(debug.command, 'DEL');
      assert.deepEqual(debug.cmdArgs, expectedCmdArgs(goMarshalSorted({ ...parseObject(expectedStdin), prevResult: parseObject(cachedJson) })));
      assert.equal(await cni.getNetworkCachedResult(netConfig, rt), undefined);
      assert.equal(await cni.getNetworkCachedConfig(netConfig, rt), undefined);
      assert.deepEqual(await cni.getCachedAttachments(''), []);
      assert.deepEqual(await cni.getCachedAttachments(rt.containerID), []);
    });

    it('reports a missing plugin and the plugin\'s error unprefixed, keeping the cache', async () => {
      writeCache('apitest', rt, IP_RESULT);
      writeDebug(debugFilePath, { reportError: 'plugin error: banana' });
      assert.equal((await rejection(cni.delNetwork(netConfig, rt))).message, 'plugin error: banana');
      assert.ok(statSync(cacheFile('apitest', rt)).isFile(), 'a failed DEL keeps the record for a retry');
      netConfig.network.type = 'does-not-exist';
      assert.match((await rejection(cni.delNetwork(netConfig, rt))).message, /^failed to find plugin "does-not-exist"/);
    });

    it('can be called twice', async () => {
      writeCache('apitest', rt, '{"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.1.2.3/24"}],"dns":{}}');
      await cni.delNetwork(netConfig, rt);
      assert.throws(() => readFileSync(cacheFile('apitest', rt)));
      await cni.delNetwork(netConfig, rt);
      assert.ok(!readDebug(debugFilePath).cmdArgs!.stdinData.includes('prevResult'));
    });

    it('passes prevResult only from 0.4.0, and removes the cache either way', async () => {
      writeCache('apitest', rt, '{"cniVersion":"0.3.1","ips":[{"version":"4","address":"10.1.2.3/24"}],"dns":{}}');
      netConfig = confFromBytes('{"type":"noop","name":"apitest","cniVersion":"0.3.1"}');
      await cni.delNetwork(netConfig, rt);
      assert.equal(readDebug(debugFilePath).command, 'DEL');
      assert.ok(!readDebug(debugFilePath).cmdArgs!.stdinData.includes('"prevResult":'));
      assert.throws(() => readFileSync(cacheFile('apitest', rt)));

      writeCache('apitest', rt, '{"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.1.2.3/24"}],"dns":{}}');
      netConfig = confFromBytes('{"type":"noop","name":"apitest","cniVersion":"0.4.0"}');
      await cni.delNetwork(netConfig, rt);
      assert.ok(readDebug(debugFilePath).cmdArgs!.stdinData.includes('"prevResult":'));
    });

    it('tolerates an unreadable or unconvertible cached result', async () => {
      for (const content of ['adfadsfasdfasfdsafaf', '', '{"cniVersion":"0.4567.0","ips":[{"version":"4","address":"10.1.2.3/24"}],"dns":{}}']) {
        writeCache('apitest', rt, content);
        await cni.delNetwork(netConfig, rt);
        assert.equal(readDebug(debugFilePath).command, 'DEL');
        assert.ok(!readDebug(debugFilePath).cmdArgs!.stdinData.includes('"prevResult":'));
        assert.throws(() => readFileSync(cacheFile('apitest', rt)));
      }
      writeCache('apitest', rt, '{"cniVersion":"0.3.1","ips":[{"version":"4","address":"10.1.2.3/24"}],"dns":{}}');
      await cni.delNetwork(netConfig, rt);
      assert.ok(readDebug(debugFilePath).cmdArgs!.stdinData.includes('"prevResult":'));
    });

    it('fails on a version that does not parse', async () => {
      netConfig = confFromBytes('{"type":"noop","name":"apitest","cniVersion":"broken"}');
      assert.equal(
        (await rejection(cni.delNetwork(netConfig, rt))).message,
        'failed to convert major version part "broken": strconv.Atoi: parsing "broken": invalid syntax',
      );
    });
  });

  describe('getVersionInfo and validateNetwork', () => {
    it('runs VERSION', async () => {
      assert.deepEqual((await cni.getVersionInfo('noop')).supportedVersions, ['0.-42.0', '0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0']);
      assert.match((await rejection(cni.getVersionInfo('does-not-exist'))).message, /^failed to find plugin "does-not-exist"/);
    });

    it('validates plugin presence and exact version support', async () => {
      assert.deepEqual(await cni.validateNetwork(netConfig), ['portMappings']);
      netConfig.network.type = 'nope';
      assert.equal((await rejection(cni.validateNetwork(netConfig))).message, `failed to find plugin "nope" in path [${bin.binDir}]`);
      netConfig.network.type = 'noop';
      netConfig.network.cniVersion = 'broken';
      assert.equal((await rejection(cni.validateNetwork(netConfig))).message, 'plugin noop does not support config version "broken"');
      netConfig.network.cniVersion = '';
      await cni.validateNetwork(netConfig);
    });
  });
});

describe('cache operations', () => {
  const netName = 'cachetest';
  const pluginConfig = `{"type": "noop", "name": "${netName}", "cniVersion": "1.1.0"}`;
  let netConfig: PluginConfig;
  let rt: RuntimeConf;
  const ipResult = (ip: string): Debug => ({ reportResult: `{"cniVersion":"1.1.0","ips":[{"address":"${ip}"}]}` });

  beforeEach(() => {
    netConfig = confFromBytes(pluginConfig);
    writeDebug(debugFilePath, ipResult('10.1.2.3/24'));
    rt = { containerID: 'some-container-id', netNS: '/some/netns/path', ifName: 'eth0', args: [['DEBUG', debugFilePath]] };
  });

  it('keeps one record per interface', async () => {
    await cni.addNetwork(netConfig, rt);
    writeDebug(debugFilePath, ipResult('10.1.2.5/24'));
    await cni.addNetwork(netConfig, { ...rt, ifName: 'eth1' });
    const attachments = await cni.getCachedAttachments('some-container-id');
    assert.deepEqual(attachments.map((a) => [a.network, a.ifName]), [[netName, 'eth0'], [netName, 'eth1']]);
    assert.ok(readFileSync(cacheFile(netName, rt), 'utf8').includes('10.1.2.3/24'));
    assert.ok(readFileSync(cacheFile(netName, { ...rt, ifName: 'eth1' }), 'utf8').includes('10.1.2.5/24'));
  });

  it('gives back the RuntimeConf filled with the cached arguments', async () => {
    await cni.addNetwork(netConfig, rt);
    const cached = await cni.getNetworkListCachedConfig({ name: netName }, { containerID: rt.containerID, netNS: rt.netNS, ifName: rt.ifName });
    assert.ok(cached);
    assert.deepEqual(cached.rt, { containerID: rt.containerID, netNS: rt.netNS, ifName: rt.ifName, args: rt.args });
  });

  it('requires complete names for the cache path', async () => {
    const empty = { network: { type: 'noop' }, bytes: new Uint8Array() };
    assert.equal(
      (await rejection(cni.getNetworkCachedConfig(empty, { containerID: 'some-container-id', netNS: '', ifName: 'eth0' }))).message,
      'cache file path requires network name (""), container ID ("some-container-id"), and interface name ("eth0")',
    );
    assert.equal(
      (await rejection(cni.getNetworkListCachedConfig({ name: 'foobar' }, { containerID: '', netNS: '', ifName: 'eth0' }))).message,
      'cache file path requires network name ("foobar"), container ID (""), and interface name ("eth0")',
    );
  });

  it('reports an unreadable cached config, and nothing for a missing one', async () => {
    assert.equal(await cni.getNetworkCachedConfig(netConfig, rt), undefined);
    writeCache(netName, rt, 'adfadsfasdfasfdsafaf');
    assert.equal(
      (await rejection(cni.getNetworkCachedConfig(netConfig, rt))).message,
      `failed to unmarshal cached network "cachetest" config: invalid character 'a' looking for beginning of value`,
    );
  });
});
