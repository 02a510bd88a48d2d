/**
 * CNIConfig with a three-plugin network (AddNetworkList & co.), driven through the scripted
 * `noop` plugin, as the reference's api_test.go "Invoking a plugin list".
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { networkConfFromBytes, type NetworkConfigList } from '@tscni/spec/config';
import { CniError } from '@tscni/spec/errors';
import { goMarshalSorted } from '@tscni/spec/gojson';
import { resultToJSON } from '@tscni/spec/result-print';
import { CNIConfig } from './api.js';
import { isCheckNotSupported } from './errors.js';
import type { RuntimeConf } from './runtime-conf.js';
import { cleanup, installPlugins, makePluginListText, newCommandLog, parseObject, type PluginInfo, readCommandLog, readDebug, rejection, tempDir, writeDebug } from './testdata/fixtures.js';

const portMappings = [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }];
const capabilityArgs = { portMappings, otherCapability: 33 };
const IP_RESULT = '{"cniVersion": "1.1.0", "ips":[{"address": "10.1.2.3/24"}]}';
const IP_RESULT_040 = '{"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.1.2.3/24"}],"dns":{}}';

let bin: ReturnType<typeof installPlugins>;
let work: string;
let cacheDir: string;
let cni: CNIConfig;
let rt: RuntimeConf;
let list: NetworkConfigList;
let plugins: PluginInfo[];

/** Every runtime-config key the reference's test offers; only capabilities reach plugins. */
const rcMap = (): Record<string, unknown> => ({
  containerId: rt.containerID,
  netNs: rt.netNS,
  ifName: rt.ifName,
  args: { FOO: 'BAR' },
  ...capabilityArgs,
});

function makeList(cniVersion: string, ipResult: string): void {
  const made = makePluginListText(work, cniVersion, ipResult, rcMap());
  list = networkConfFromBytes(made.text);
  plugins = made.plugins;
}

const expectedCmdArgs = (stdinData: string): Record<string, string> => ({
  containerID: 'some-container-id',
  netns: '/some/netns/path',
  ifName: 'some-eth0',
  args: 'FOO=BAR',
  path: bin.binDir,
  stdinData,
});

function cacheFile(): string {
  return join(cacheDir, 'results', `${list.name}-${rt.containerID}-${rt.ifName}`);
}

function writeCache(content: string): void {
  mkdirSync(dirname(cacheFile()), { recursive: true });
  writeFileSync(cacheFile(), content);
}

before(() => {
  bin = installPlugins();
});

after(() => {
  cleanup(bin.binDir);
});

beforeEach(() => {
  work = tempDir('api-list');
  cacheDir = join(work, 'cache');
  cni = new CNIConfig({ path: [bin.binDir], cacheDir });
  rt = { containerID: 'some-container-id', netNS: '/some/netns/path', ifName: 'some-eth0', args: [['FOO', 'BAR']], capabilityArgs };
  makeList('1.1.0', IP_RESULT);
});

afterEach(() => {
  cleanup(work);
});

describe('addNetworkList', () => {
  it('runs every plugin with ADD, chaining prevResult, and returns the last result', async () => {
    const r = await cni.addNetworkList(list, rt);
    assert.deepEqual(resultToJSON(r!), { cniVersion: '1.1.0', dns: { nameservers: ['1.2.3.4'] }, ips: [{ address: '10.1.2.3/24' }] });
    for (const p of plugins) {
      const debug = readDebug(p.debugFilePath);
      assert.equal(debug.command, 'ADD');
      // The previous plugins' results equal the static prevResult of the test configs.
      assert.deepEqual(debug.cmdArgs, expectedCmdArgs(goMarshalSorted(p.expectedStdin)));
    }
  });

  it('caches the final result and the list bytes', async () => {
    const r = await cni.addNetworkList(list, rt);
    assert.deepEqual(resultToJSON((await cni.getNetworkListCachedResult(list, rt))!), resultToJSON(r!));
    const cached = await cni.getNetworkListCachedConfig(list, rt);
    assert.ok(cached);
    assert.deepEqual(Buffer.from(cached.config), Buffer.from(list.bytes));
    assert.deepEqual(cached.rt.args, rt.args);
    assert.deepEqual(cached.rt.capabilityArgs, rt.capabilityArgs);
  });

  it('prefixes a missing plugin with the plugin description', async () => {
    list.plugins[1]!.network.type = 'does-not-exist';
    assert.equal(
      (await rejection(cni.addNetworkList(list, rt))).message,
      `plugin type="does-not-exist" failed (add): failed to find plugin "does-not-exist" in path [${bin.binDir}]`,
    );
  });

  it('validates the container ID, network name and interface name', async () => {
    const cases: [Partial<RuntimeConf> & { name?: string }, CniError][] = [
      [{ containerID: 'some-%%container-id' }, new CniError(4, 'invalid characters in containerID', 'some-%%container-id')],
      [{ name: 'invalid-%%-name' }, new CniError(7, 'invalid characters found in network name', 'invalid-%%-name')],
      [{ ifName: '' }, new CniError(4, 'interface name is empty')],
      [{ ifName: '1234567890123456' }, new CniError(4, 'interface name is too long', 'interface name should be less than 16 characters')],
      [{ ifName: '.' }, new CniError(4, 'interface name is . or ..')],
      [{ ifName: '..' }, new CniError(4, 'interface name is . or ..')],
      [{ ifName: 'test/test' }, new CniError(4, 'interface name contains / or : or whitespace characters')],
      [{ ifName: 'test:test' }, new CniError(4, 'interface name contains / or : or whitespace characters')],
      [{ ifName: 'test test' }, new CniError(4, 'interface name contains / or : or whitespace characters')],
    ];
    for (const [change, expected] of cases) {
      const { name, ...rtChange } = change;
      const err = await rejection(cni.addNetworkList({ ...list, name: name ?? list.name }, { ...rt, ...rtChange }));
      assert.ok(err.cause instanceof CniError);
      assert.deepEqual(err.cause.toJSON(), expected.toJSON());
      assert.equal(err.message, `plugin type="noop" failed (add): ${expected.message}`);
    }
    assert.equal(readDebug(plugins[0]!.debugFilePath).command, undefined, 'validation happens before running anything');
  });

  it('stops at a failing plugin and caches nothing', async () => {
    writeDebug(plugins[1]!.debugFilePath, { reportError: 'plugin error: banana' });
    const err = await rejection(cni.addNetworkList(list, rt));
    assert.equal(err.message, 'plugin type="noop" failed (add): plugin error: banana');
    assert.ok(err.cause instanceof CniError);
    assert.equal(err.cause.message, 'plugin error: banana');
    assert.equal(readDebug(plugins[0]!.debugFilePath).command, 'ADD');
    assert.equal(readDebug(plugins[2]!.debugFilePath).command, undefined);
    assert.throws(() => readFileSync(cacheFile()));
  });

  it('names the plugin by its own name too', async () => {
    list = networkConfFromBytes('{"name":"n","cniVersion":"1.1.0","plugins":[{"type":"does-not-exist","name":"mine"}]}');
    assert.equal(
      (await rejection(cni.addNetworkList(list, rt))).message,
      `plugin type="does-not-exist" name="mine" failed (add): failed to find plugin "does-not-exist" in path [${bin.binDir}]`,
    );
  });

  it('fails when the results cache cannot be written', async () => {
    mkdirSync(cacheDir);
    writeFileSync(join(cacheDir, 'results'), 'afdsasdfasdf');
    assert.equal(
      (await rejection(cni.addNetworkList(list, rt))).message,
      `failed to set network "some-list" cached result: mkdir ${join(cacheDir, 'results')}: not a directory`,
    );
  });
});

describe('checkNetworkList', () => {
  it('runs every plugin with CHECK and the cached result as prevResult', async () => {
    writeCache(IP_RESULT);
    await cni.checkNetworkList(list, rt);
    for (const p of plugins) {
      const debug = readDebug(p.debugFilePath);
      assert.equal(debug.command, 'CHECK');
      const stdin = parseObject(debug.cmdArgs!.stdinData);
      assert.deepEqual(stdin['prevResult'], parseObject(IP_RESULT));
      assert.deepEqual({ ...debug.cmdArgs, stdinData: '' }, expectedCmdArgs(''));
    }
  });

  it('runs nothing when disableCheck is set', async () => {
    list.disableCheck = true;
    await cni.checkNetworkList(list, rt);
    for (const p of plugins) assert.equal(readDebug(p.debugFilePath).command, undefined);
  });

  it('passes a 0.4.0 cached result to a 0.4.0 list', async () => {
    writeCache(IP_RESULT_040);
    makeList('0.4.0', IP_RESULT_040);
    for (const p of plugins) writeDebug(p.debugFilePath, { reportResult: IP_RESULT_040 });
    await cni.checkNetworkList(list, rt);
    assert.deepEqual(parseObject(readDebug(plugins[0]!.debugFilePath).cmdArgs!.stdinData)['prevResult'], parseObject(IP_RESULT_040));
  });

  it('refuses lists older than 0.4.0, before looking at disableCheck', async () => {
    const raw = parseObject(list.bytes);
    list = networkConfFromBytes(JSON.stringify({ ...raw, cniVersion: '0.3.1', disableCheck: true }));
    const err = await rejection(cni.checkNetworkList(list, rt));
    assert.equal(err.message, 'configuration version "0.3.1" does not support the CHECK command');
    assert.ok(isCheckNotSupported(err));
  });

  it('returns a plugin\'s failure unwrapped', async () => {
    writeDebug(plugins[1]!.debugFilePath, { reportError: 'plugin error: banana' });
    const err = await rejection(cni.checkNetworkList(list, rt));
    assert.ok(err instanceof CniError);
    assert.equal(err.message, 'plugin error: banana');
    assert.equal(readDebug(plugins[2]!.debugFilePath).command, undefined);
    list.plugins[1]!.network.type = 'does-not-exist';
    assert.match((await rejection(cni.checkNetworkList(list, rt))).message, /^failed to find plugin "does-not-exist"/);
  });

  it('fails on an invalid cached result', async () => {
    writeCache('adfadsfasdfasfdsafaf');
    assert.equal(
      (await rejection(cni.checkNetworkList(list, rt))).message,
      `failed to get network "some-list" cached result: decoding version from network config: invalid character 'a' looking for beginning of value`,
    );
  });
});

describe('delNetworkList', () => {
  it('runs every plugin with DEL and forgets the attachment', async () => {
    await cni.addNetworkList(list, rt);
    for (const p of plugins) writeDebug(p.debugFilePath, { reportResult: 'PASSTHROUGH' });
    await cni.delNetworkList(list, rt);
    const cached = { cniVersion: '1.1.0', dns: { nameservers: ['1.2.3.4'] }, ips: [{ address: '10.1.2.3/24' }] };
    for (const p of plugins) {
      const debug = readDebug(p.debugFilePath);
      assert.equal(debug.command, 'DEL');
      // Every plugin gets the final ADD result, not a chain.
      assert.deepEqual(debug.cmdArgs, expectedCmdArgs(goMarshalSorted({ ...p.expectedStdin, prevResult: cached })));
    }
    assert.equal(await cni.getNetworkListCachedResult(list, rt), undefined);
    assert.equal(await cni.getNetworkListCachedConfig(list, rt), undefined);
  });

  it('runs the plugins in reverse order', async () => {
    const shared = newCommandLog(work);
    let text = Buffer.from(list.bytes).toString();
    for (const p of plugins) text = text.replace(JSON.stringify(p.commandFilePath), JSON.stringify(shared));
    list = networkConfFromBytes(text);
    await cni.delNetworkList(list, rt);
    assert.deepEqual(
      readCommandLog(shared).map((e) => [e.command, parseObject(e.cmdArgs.stdinData)['some-key']]),
      [['DEL', 'yet-another-value'], ['DEL', 'some-other-value'], ['DEL', 'some-value']],
    );
  });

  it('sends the config unchanged but for name, version and runtimeConfig when nothing is cached', async () => {
    await cni.delNetworkList(list, rt);
    for (const p of plugins) assert.deepEqual(readDebug(p.debugFilePath).cmdArgs, expectedCmdArgs(goMarshalSorted(p.expectedStdin)));
  });

  it('passes the cached result to a 0.4.0 list', async () => {
    writeCache(IP_RESULT_040);
    makeList('0.4.0', IP_RESULT_040);
    await cni.delNetworkList(list, rt);
    for (const p of plugins) assert.deepEqual(parseObject(readDebug(p.debugFilePath).cmdArgs!.stdinData)['prevResult'], parseObject(IP_RESULT_040));
    assert.throws(() => readFileSync(cacheFile()));
  });

  it('passes no cached result before 0.4.0 but still forgets the attachment', async () => {
    const cached = '{"cniVersion":"0.3.1","ips":[{"version":"4","address":"10.1.2.3/24"}],"dns":{}}';
    writeCache(cached);
    makeList('0.3.1', cached);
    await cni.delNetworkList(list, rt);
    assert.ok(!readDebug(plugins[0]!.debugFilePath).cmdArgs!.stdinData.includes('"prevResult":'));
    assert.throws(() => readFileSync(cacheFile()));
  });

  it('prefixes a plugin failure and keeps the cache for a retry', async () => {
    writeCache(IP_RESULT);
    writeDebug(plugins[1]!.debugFilePath, { reportError: 'plugin error: banana' });
    const err = await rejection(cni.delNetworkList(list, rt));
    assert.equal(err.message, 'plugin type="noop" failed (delete): plugin error: banana');
    assert.ok(err.cause instanceof CniError);
    assert.equal(readDebug(plugins[0]!.debugFilePath).command, undefined, 'earlier plugins are not reached');
    assert.ok(statSync(cacheFile()).isFile());
    list.plugins[1]!.network.type = 'does-not-exist';
    assert.match((await rejection(cni.delNetworkList(list, rt))).message, /failed to find plugin "does-not-exist"/);
  });

  it('tolerates an invalid or empty cached result', async () => {
    for (const content of ['adfadsfasdfasfdsafaf', '']) {
      writeCache(content);
      await cni.delNetworkList(list, rt);
      assert.throws(() => readFileSync(cacheFile()));
    }
  });
});

describe('validateNetworkList', () => {
  it('checks that every plugin exists and reports the capabilities', async () => {
    assert.deepEqual((await cni.validateNetworkList(list)).sort(), ['otherCapability', 'portMappings']);
    list.plugins[1]!.network.type = 'nope';
    const err = await rejection(cni.validateNetworkList(list));
    assert.ok(err instanceof AggregateError);
    assert.equal(err.message, `[failed to find plugin "nope" in path [${bin.binDir}]]`);
  });

  it('checks that every plugin supports the exact version', async () => {
    list.cniVersion = 'broken';
    const one = 'plugin noop does not support config version "broken"';
    assert.equal((await rejection(cni.validateNetworkList(list))).message, `[${one} ${one} ${one}]`);
  });
});

describe('gcNetworkList', () => {
  it('issues DEL and GC as necessary: ADD, GC, DEL, GC', async () => {
    await cni.addNetworkList(list, rt);

    list.disableGC = true;
    await cni.gcNetworkList(list, {});
    assert.equal(readCommandLog(plugins[0]!.commandFilePath).length, 1);

    list.disableGC = false;
    const valid = { validAttachments: [{ containerID: rt.containerID, ifname: rt.ifName }] };
    await cni.gcNetworkList(list, valid);
    await cni.gcNetworkList(list, {});

    const commands = readCommandLog(plugins[0]!.commandFilePath);
    assert.deepEqual(commands.map((c) => c.command), ['ADD', 'GC', 'DEL', 'GC']);
    const [add, gc1, del, gc2] = commands;
    assert.equal(add!.cmdArgs.containerID, rt.containerID);
    assert.equal(add!.cmdArgs.ifName, rt.ifName);
    assert.deepEqual(gc1!.cmdArgs, {
      containerID: '',
      netns: '',
      ifName: '',
      args: '',
      path: bin.binDir,
      stdinData: goMarshalSorted({
        ...parseObject(plugins[0]!.config),
        name: 'some-list',
        cniVersion: '1.1.0',
        'cni.dev/valid-attachments': valid.validAttachments,
        'cni.dev/attachments': valid.validAttachments,
      }),
    });
    assert.equal(del!.cmdArgs.containerID, rt.containerID);
    assert.equal(del!.cmdArgs.ifName, rt.ifName);
    assert.equal(del!.cmdArgs.netns, rt.netNS);
    assert.equal(del!.cmdArgs.args, 'FOO=BAR', 'the stale DEL uses the cached CNI_ARGS');
    assert.deepEqual(parseObject(del!.cmdArgs.stdinData)['runtimeConfig'], capabilityArgs, 'and the cached capability args');
    const gc2stdin = parseObject(gc2!.cmdArgs.stdinData);
    assert.equal(gc2stdin['cni.dev/valid-attachments'], null);
    assert.equal(gc2stdin['cni.dev/attachments'], null);
    assert.deepEqual(await cni.getCachedAttachments(''), []);
  });

  it('without arguments deletes every cached attachment of the network only, and sends no list', async () => {
    await cni.addNetworkList(list, rt);
    await cni.addNetworkList(list, { ...rt, ifName: 'eth1' });
    const other = networkConfFromBytes(Buffer.from(list.bytes).toString().replace('"some-list"', '"other-list"'));
    await cni.addNetworkList(other, rt);
    await cni.gcNetworkList(list);
    assert.deepEqual((await cni.getCachedAttachments('')).map((a) => a.network), ['other-list']);
    const commands = readCommandLog(plugins[2]!.commandFilePath).map((c) => c.command);
    assert.deepEqual(commands, ['ADD', 'ADD', 'ADD', 'DEL', 'DEL', 'GC']);
    const gc = parseObject(readCommandLog(plugins[2]!.commandFilePath)[5]!.cmdArgs.stdinData);
    assert.ok(!('cni.dev/valid-attachments' in gc) && !('cni.dev/attachments' in gc));
  });

  it('sends no GC before 1.1.0 but still deletes stale attachments', async () => {
    makeList('1.0.0', IP_RESULT.replace('1.1.0', '1.0.0'));
    await cni.addNetworkList(list, rt);
    await cni.gcNetworkList(list);
    assert.deepEqual(readCommandLog(plugins[0]!.commandFilePath).map((c) => c.command), ['ADD', 'DEL']);
  });

  it('goes on after failures and reports them all, one per line', async () => {
    await cni.addNetworkList(list, rt);
    writeDebug(plugins[1]!.debugFilePath, { reportError: 'plugin error: banana' });
    const err = await rejection(cni.gcNetworkList(list));
    assert.ok(err instanceof AggregateError);
    assert.equal(
      err.message,
      [
        'failed to delete stale attachment some-container-id some-eth0: plugin type="noop" failed (delete): plugin error: banana',
        'failed to GC plugin noop: plugin error: banana',
      ].join('\n'),
    );
    assert.equal(err.errors.length, 2);
    assert.deepEqual(readCommandLog(plugins[0]!.commandFilePath).map((c) => c.command), ['ADD', 'GC'], 'the first plugin still gets its GC');
    assert.deepEqual(readCommandLog(plugins[2]!.commandFilePath).map((c) => c.command), ['ADD', 'DEL', 'GC']);
  });
});

describe('getStatusNetworkList', () => {
  it('sends STATUS with only name and version injected', async () => {
    await cni.getStatusNetworkList(list);
    for (const p of plugins) {
      const debug = readDebug(p.debugFilePath);
      assert.equal(debug.command, 'STATUS');
      assert.deepEqual(debug.cmdArgs, {
        containerID: '',
        netns: '',
        ifName: '',
        args: '',
        path: bin.binDir,
        stdinData: goMarshalSorted({ ...parseObject(p.config), name: 'some-list', cniVersion: '1.1.0' }),
      });
    }
  });

  it('returns the first error unwrapped and stops there', async () => {
    writeDebug(plugins[1]!.debugFilePath, { reportError: 'plugin error: banana', reportErrorCode: 50 });
    const err = await rejection(cni.getStatusNetworkList(list));
    assert.ok(err instanceof CniError);
    assert.equal(err.code, 50);
    assert.equal(readDebug(plugins[0]!.debugFilePath).command, 'STATUS');
    assert.equal(readDebug(plugins[1]!.debugFilePath).command, 'STATUS');
    assert.equal(readDebug(plugins[2]!.debugFilePath).command, undefined);
  });

  it('runs nothing before 1.1.0 or for an unparsable version', async () => {
    for (const version of ['1.0.0', 'broken']) {
      list.cniVersion = version;
      await cni.getStatusNetworkList(list);
    }
    for (const p of plugins) assert.equal(readDebug(p.debugFilePath).command, undefined);
  });
});
