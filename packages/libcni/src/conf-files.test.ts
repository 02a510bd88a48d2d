import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { confFromBytes, confListFromConf, networkConfFromBytes } from '@tscni/spec/config';
import {
  confFiles,
  confFromFile,
  loadConf,
  loadConfList,
  loadNetworkConf,
  networkConfFromFile,
  networkPluginConfsFromFiles,
} from './conf-files.js';
import { NoConfigsFoundError, NotFoundError } from './errors.js';
import { cleanup, rejection, tempDir } from './testdata/fixtures.js';

const text = (b: Uint8Array): string => Buffer.from(b).toString();

let configDir: string;

beforeEach(() => {
  configDir = tempDir('conf');
});

afterEach(() => {
  cleanup(configDir);
});

describe('confFiles', () => {
  it('lists files with exactly the given extensions, sorted, skipping directories', async () => {
    for (const name of ['b.conflist', 'a.conflist', 'c.CONFLIST', 'd.conf', '.conflist', 'noext']) writeFileSync(join(configDir, name), '{}');
    mkdirSync(join(configDir, 'dir.conflist'));
    symlinkSync(join(configDir, 'a.conflist'), join(configDir, 'e.conflist'));
    assert.deepEqual(await confFiles(configDir, ['.conflist']), ['.conflist', 'a.conflist', 'b.conflist', 'e.conflist'].map((n) => join(configDir, n)));
    assert.deepEqual(await confFiles(configDir, ['.conf', '.json']), [join(configDir, 'd.conf')]);
  });

  it('gives nothing for a missing directory and fails for a file', async () => {
    assert.deepEqual(await confFiles(join(configDir, 'missing'), ['.conf']), []);
    writeFileSync(join(configDir, 'file'), '');
    assert.equal((await rejection(confFiles(join(configDir, 'file'), ['.conf']))).message, `open ${join(configDir, 'file')}: not a directory`);
  });
});

describe('loadConf (legacy single-plugin files)', () => {
  const pluginConfig = '{ "name": "some-plugin", "some-key": "some-value", "type": "foobar" }';

  it('finds the network config file for the plugin of the given name', async () => {
    writeFileSync(join(configDir, '50-whatever.conf'), pluginConfig);
    const conf = await loadConf(configDir, 'some-plugin');
    assert.deepEqual(conf.network, { name: 'some-plugin', 'some-key': 'some-value', type: 'foobar' });
    assert.equal(text(conf.bytes), pluginConfig);
  });

  it('reads .json files too', async () => {
    writeFileSync(join(configDir, '50-whatever.json'), pluginConfig);
    assert.equal((await loadConf(configDir, 'some-plugin')).network.type, 'foobar');
  });

  it('reports a missing directory as NoConfigsFoundError', async () => {
    const missing = join(configDir, 'nope');
    const err = await rejection(loadConf(missing, 'some-plugin'));
    assert.ok(err instanceof NoConfigsFoundError);
    assert.equal(err.dir, missing);
    assert.equal(err.message, `no net configurations found in ${missing}`);
  });

  it('reports a missing name as NotFoundError', async () => {
    writeFileSync(join(configDir, '50-whatever.conf'), pluginConfig);
    const err = await rejection(loadConf(configDir, 'some-other-plugin'));
    assert.ok(err instanceof NotFoundError);
    assert.equal(err.message, `no net configuration with name "some-other-plugin" in ${configDir}`);
  });

  it('fails on a malformed file', async () => {
    writeFileSync(join(configDir, '00-bad.conf'), '{');
    writeFileSync(join(configDir, '50-whatever.conf'), pluginConfig);
    assert.equal((await rejection(loadConf(configDir, 'some-plugin'))).message, 'error parsing configuration: unexpected end of JSON input');
  });

  it('does not look into nested directories', async () => {
    mkdirSync(join(configDir, 'subdir1', 'subdir2'), { recursive: true });
    writeFileSync(join(configDir, 'subdir1', 'subdir2', '90-foo.conf'), pluginConfig);
    writeFileSync(join(configDir, '50-whatever.conf'), '{ "name": "other", "type": "x" }');
    assert.match((await rejection(loadConf(configDir, 'some-plugin'))).message, /^no net configuration with name/);
  });

  it('reads capabilities', async () => {
    writeFileSync(join(configDir, '50-whatever.conf'), '{ "name": "some-plugin", "type": "noop", "cniVersion": "0.3.1", "capabilities": { "portMappings": true, "somethingElse": true, "noCapability": false } }');
    assert.deepEqual((await loadConf(configDir, 'some-plugin')).network.capabilities, { portMappings: true, somethingElse: true, noCapability: false });
  });
});

describe('confFromFile / networkConfFromFile', () => {
  it('reports unreadable files as Go does', async () => {
    const missing = join(configDir, 'not-here');
    assert.equal((await rejection(confFromFile(missing))).message, `error reading ${missing}: open ${missing}: no such file or directory`);
    assert.equal((await rejection(networkConfFromFile(missing))).message, `error reading ${missing}: open ${missing}: no such file or directory`);
    assert.equal((await rejection(networkConfFromFile(configDir))).message, `error reading ${configDir}: read ${configDir}: is a directory`);
  });

  it('refuses a plugin without type', async () => {
    writeFileSync(join(configDir, 'x.conf'), '{ "name": "some-plugin", "cniVersion": "0.3.1" }');
    assert.equal((await rejection(confFromFile(join(configDir, 'x.conf')))).message, "error parsing configuration: missing 'type'");
    assert.throws(() => confFromBytes('{"name":"x"}'), { message: "error parsing configuration: missing 'type'" });
  });
});

describe('loadNetworkConf', () => {
  const configList = `{
  "name": "some-network",
  "cniVersion": "0.2.0",
  "disableCheck": true,
  "plugins": [
    {
      "type": "host-local",
      "subnet": "10.0.0.1/24"
    },
    {
      "type": "bridge",
      "mtu": 1400
    },
    {
      "type": "port-forwarding",
      "ports": {"20.0.0.1:8080": "80"}
    }
  ]
}`;

  beforeEach(() => {
    writeFileSync(join(configDir, '50-whatever.conflist'), configList);
  });

  it('finds the list and re-marshals each plugin with sorted keys', async () => {
    const list = await loadNetworkConf(configDir, 'some-network');
    assert.equal(list.name, 'some-network');
    assert.equal(list.cniVersion, '0.2.0');
    assert.equal(list.disableCheck, true);
    assert.equal(list.disableGC, false);
    assert.equal(list.loadOnlyInlinedPlugins, false);
    assert.equal(text(list.bytes), configList);
    assert.deepEqual(
      list.plugins.map((p) => text(p.bytes)),
      ['{"subnet":"10.0.0.1/24","type":"host-local"}', '{"mtu":1400,"type":"bridge"}', '{"ports":{"20.0.0.1:8080":"80"},"type":"port-forwarding"}'],
    );
    assert.equal(loadConfList, loadNetworkConf);
  });

  it('prefers the list over a legacy file of the same name, and falls back to legacy files', async () => {
    writeFileSync(join(configDir, '10-same.conf'), '{ "name": "some-network", "cniVersion": "0.2.0", "type": "bridge" }');
    writeFileSync(join(configDir, '20-other.conf'), '{ "name": "some-plugin", "cniVersion": "0.3.1", "type": "bridge" }');
    assert.equal((await loadNetworkConf(configDir, 'some-network')).plugins.length, 3);
    const up = await loadNetworkConf(configDir, 'some-plugin');
    assert.equal(up.name, 'some-plugin');
    assert.equal(up.cniVersion, '0.3.1');
    assert.equal(up.plugins.length, 1);
    assert.equal(up.plugins[0]!.network.type, 'bridge');
  });

  it('reports a missing directory as NoConfigsFoundError', async () => {
    const missing = join(configDir, 'nope');
    const err = await rejection(loadNetworkConf(missing, 'some-network'));
    assert.ok(err instanceof NoConfigsFoundError);
    assert.equal(err.dir, missing);
  });

  it('turns "no legacy files" into NotFoundError when lists exist', async () => {
    const err = await rejection(loadNetworkConf(configDir, 'some-other-network'));
    assert.ok(err instanceof NotFoundError);
    assert.equal(err.dir, configDir);
    assert.equal(err.networkName, 'some-other-network');
    assert.equal(err.message, `no net configuration with name "some-other-network" in ${configDir}`);
  });

  it('aborts the whole search on a malformed list', async () => {
    writeFileSync(join(configDir, '00-bad.conflist'), '{');
    assert.equal((await rejection(loadNetworkConf(configDir, 'some-network'))).message, 'error parsing configuration list: unexpected end of JSON input');
  });

  it('aborts the search on a legacy file without type', async () => {
    writeFileSync(join(configDir, '00-notype.conf'), '{ "name": "x" }');
    assert.equal((await rejection(loadNetworkConf(configDir, 'y'))).message, "error parsing configuration: missing 'type'");
  });

  it('does not look into nested directories', async () => {
    mkdirSync(join(configDir, 'subdir1', 'subdir2'), { recursive: true });
    writeFileSync(join(configDir, 'subdir1', 'subdir2', '90-foo.conflist'), configList.replace('some-network', 'nested'));
    assert.match((await rejection(loadNetworkConf(configDir, 'nested'))).message, /^no net configuration with name/);
  });

  it('reads disableCheck given as a string', async () => {
    for (const [value, expected] of [['true', true], ['FaLsE', false], ['TRUE', true]] as const) {
      writeFileSync(join(configDir, '50-whatever.conflist'), `{"name":"some-network","cniVersion":"0.4.0","disableCheck":"${value}","plugins":[{"type":"x"}]}`);
      assert.equal((await loadNetworkConf(configDir, 'some-network')).disableCheck, expected);
    }
    writeFileSync(join(configDir, '50-whatever.conflist'), '{"name":"some-network","cniVersion":"0.4.0","disableCheck":"adsfasdfasf","plugins":[{"type":"x"}]}');
    assert.equal((await rejection(loadNetworkConf(configDir, 'some-network'))).message, 'error parsing configuration list: invalid value "adsfasdfasf" for disableCheck');
  });

  describe('plugins from the network subfolder', () => {
    const subDir = (): string => join(configDir, 'some-network');
    const write = (conf: object): void => writeFileSync(join(configDir, '50-whatever.conflist'), JSON.stringify(conf));

    it('parses loadOnlyInlinedPlugins, default false', async () => {
      write({ name: 'some-network', cniVersion: '0.4.0', loadOnlyInlinedPlugins: true, plugins: [{ type: 'x' }] });
      assert.equal((await loadNetworkConf(configDir, 'some-network')).loadOnlyInlinedPlugins, true);
      write({ name: 'some-network', cniVersion: '0.4.0', plugins: [{ type: 'x' }] });
      assert.equal((await loadNetworkConf(configDir, 'some-network')).loadOnlyInlinedPlugins, false);
      write({ name: 'some-network', cniVersion: '0.4.0', loadOnlyInlinedPlugins: 'yes', plugins: [{ type: 'x' }] });
      assert.equal((await rejection(loadNetworkConf(configDir, 'some-network'))).message, 'error parsing configuration list: invalid value "yes" for loadOnlyInlinedPlugins');
    });

    it('refuses loadOnlyInlinedPlugins without plugins', async () => {
      write({ name: 'some-network', cniVersion: '0.4.0', loadOnlyInlinedPlugins: true });
      assert.equal((await rejection(loadNetworkConf(configDir, 'some-network'))).message, "error parsing configuration list: `loadOnlyInlinedPlugins` is true, and no 'plugins' key");
    });

    it('loads a list without plugins from its subfolder (only .conf, sorted, no name needed)', async () => {
      write({ name: 'some-network', cniVersion: '0.4.0' });
      mkdirSync(subDir());
      writeFileSync(join(subDir(), 'b.conf'), '{"type":"second"}');
      writeFileSync(join(subDir(), 'a.conf'), '{"type":"first","z":1,"a":2}');
      writeFileSync(join(subDir(), 'c.json'), '{"type":"ignored"}');
      mkdirSync(join(subDir(), 'deeper'));
      writeFileSync(join(subDir(), 'deeper', 'd.conf'), '{"type":"ignored"}');
      const list = await loadNetworkConf(configDir, 'some-network');
      assert.deepEqual(list.plugins.map((p) => p.network.type), ['first', 'second']);
      // Subfolder plugins keep their own bytes; the list's bytes stay the main file's.
      assert.equal(text(list.plugins[0]!.bytes), '{"type":"first","z":1,"a":2}');
      assert.equal(text(list.bytes), JSON.stringify({ name: 'some-network', cniVersion: '0.4.0' }));
    });

    it('fails with no plugins anywhere', async () => {
      write({ name: 'some-network', cniVersion: '0.4.0' });
      assert.equal((await rejection(loadNetworkConf(configDir, 'some-network'))).message, 'no plugin configs found');
      mkdirSync(subDir());
      assert.equal((await rejection(loadNetworkConf(configDir, 'some-network'))).message, 'no plugin configs found');
    });

    it('accepts inlined plugins with a missing or empty subfolder', async () => {
      write({ name: 'some-network', cniVersion: '0.4.0', plugins: [{ type: 'host-local', subnet: '10.0.0.1/24' }] });
      assert.equal((await loadNetworkConf(configDir, 'some-network')).plugins.length, 1);
      mkdirSync(subDir());
      assert.equal((await loadNetworkConf(configDir, 'some-network')).plugins.length, 1);
    });

    it('appends subfolder plugins after the inlined ones unless loadOnlyInlinedPlugins', async () => {
      write({ name: 'some-network', cniVersion: '0.4.0', plugins: [{ type: 'host-local', subnet: '10.0.0.1/24' }] });
      mkdirSync(subDir());
      writeFileSync(join(subDir(), 'funky-second-plugin.conf'), '{ "type": "bro-check-out-my-plugin", "subnet": "10.0.0.1/24" }');
      assert.deepEqual((await loadNetworkConf(configDir, 'some-network')).plugins.map((p) => p.network.type), ['host-local', 'bro-check-out-my-plugin']);
      write({ name: 'some-network', cniVersion: '0.4.0', loadOnlyInlinedPlugins: true, plugins: [{ type: 'host-local', subnet: '10.0.0.1/24' }] });
      assert.deepEqual((await loadNetworkConf(configDir, 'some-network')).plugins.map((p) => p.network.type), ['host-local']);
    });

    it('reports bad subfolder files', async () => {
      write({ name: 'some-network', cniVersion: '0.4.0' });
      mkdirSync(subDir());
      writeFileSync(join(subDir(), 'a.conf'), '{"subnet":"x"}');
      assert.equal((await rejection(loadNetworkConf(configDir, 'some-network'))).message, "error parsing configuration: missing 'type'");
    });

    it('reports a subfolder that cannot be listed', async () => {
      writeFileSync(subDir(), 'not a directory');
      write({ name: 'some-network', cniVersion: '0.4.0', plugins: [{ type: 'x' }] });
      assert.equal(
        (await rejection(networkPluginConfsFromFiles(configDir, 'some-network'))).message,
        `failed to read plugin config files in ${subDir()}: open ${subDir()}: not a directory`,
      );
    });
  });
});

describe('confListFromConf', () => {
  it('up-converts a legacy config to a list of one', () => {
    const conf = confFromBytes('{"name":"some-plugin","cniVersion":"0.3.1", "type":"foobar"}');
    const list = confListFromConf(conf);
    assert.equal(list.name, 'some-plugin');
    assert.equal(list.cniVersion, '0.3.1');
    assert.equal(list.disableCheck, false);
    assert.deepEqual(list.plugins.map((p) => p.network), [conf.network]);
    const again = networkConfFromBytes(list.bytes);
    assert.deepEqual({ ...again, bytes: undefined }, { ...list, bytes: undefined });
  });
});
