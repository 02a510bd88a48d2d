import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pluginConfFromBytes } from '@tscni/spec/config';
import { createResult } from '@tscni/spec/result-decode';
import { buildGCConfig, buildOneConfig, buildStatusConfig, pluginDescription, runtimeConfigFor } from './request-config.js';
import type { RuntimeConf } from './runtime-conf.js';

const text = (b: Uint8Array): string => Buffer.from(b).toString();
const rt = (capabilityArgs?: Record<string, unknown>): RuntimeConf => ({ containerID: 'c', netNS: '/ns', ifName: 'eth0', ...(capabilityArgs ? { capabilityArgs } : {}) });

describe('buildOneConfig', () => {
  const plugin = pluginConfFromBytes('{"type":"noop","name":"own-name","cniVersion":"0.1.0","z":"<&>","a":1.0,"capabilities":{"portMappings":true,"somethingElse":true,"noCapability":false}}');

  it('forces name and cniVersion, sorts keys, keeps capabilities, filters runtimeConfig', () => {
    const conf = buildOneConfig('net', '1.1.0', plugin, undefined, rt({ portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }], somethingElse: null, noCapability: true, notAdded: [true] }));
    assert.equal(
      text(conf.bytes),
      '{"a":1,"capabilities":{"noCapability":false,"portMappings":true,"somethingElse":true},"cniVersion":"1.1.0","name":"net",' +
        '"runtimeConfig":{"portMappings":[{"containerPort":80,"hostPort":8080,"protocol":"tcp"}],"somethingElse":null},"type":"noop","z":"\\u003c\\u0026\\u003e"}',
    );
    assert.equal(conf.network.name, 'net');
  });

  it('adds no runtimeConfig without overlap, keeping a static one', () => {
    const withStatic = pluginConfFromBytes('{"type":"noop","runtimeConfig":{"static":1},"capabilities":{"mac":true}}');
    assert.equal(text(buildOneConfig('net', '1.0.0', withStatic, undefined, rt({ other: 1 })).bytes), '{"capabilities":{"mac":true},"cniVersion":"1.0.0","name":"net","runtimeConfig":{"static":1},"type":"noop"}');
    assert.equal(text(buildOneConfig('net', '', withStatic, undefined, undefined).bytes), '{"capabilities":{"mac":true},"cniVersion":"","name":"net","runtimeConfig":{"static":1},"type":"noop"}');
  });

  it('replaces a static runtimeConfig when capability args match', () => {
    const withStatic = pluginConfFromBytes('{"type":"noop","runtimeConfig":{"static":1},"capabilities":{"mac":true}}');
    assert.equal(text(buildOneConfig('net', '1.0.0', withStatic, undefined, rt({ mac: 'c2:11:22:33:44:55' })).bytes), '{"capabilities":{"mac":true},"cniVersion":"1.0.0","name":"net","runtimeConfig":{"mac":"c2:11:22:33:44:55"},"type":"noop"}');
  });

  it('injects prevResult in its own marshalling order, sorted once runtimeConfig is added', () => {
    const prev = createResult('0.4.0', '{"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.1.2.3/24","gateway":"10.1.2.1"}]}');
    const bare = pluginConfFromBytes('{"type":"noop"}');
    assert.equal(
      text(buildOneConfig('net', '0.4.0', bare, prev, rt()).bytes),
      '{"cniVersion":"0.4.0","name":"net","prevResult":{"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.1.2.3/24","gateway":"10.1.2.1"}],"dns":{}},"type":"noop"}',
    );
    const withCap = pluginConfFromBytes('{"type":"noop","capabilities":{"mac":true}}');
    assert.equal(
      text(buildOneConfig('net', '0.4.0', withCap, prev, rt({ mac: 'x' })).bytes),
      '{"capabilities":{"mac":true},"cniVersion":"0.4.0","name":"net","prevResult":{"cniVersion":"0.4.0","dns":{},"ips":[{"address":"10.1.2.3/24","gateway":"10.1.2.1","version":"4"}]},"runtimeConfig":{"mac":"x"},"type":"noop"}',
    );
  });

  it('refuses bytes that are not a JSON object', () => {
    assert.throws(() => buildOneConfig('n', '1.1.0', { network: { type: 'x' }, bytes: Buffer.from('[') }, undefined, undefined), /^Error: unmarshal existing network bytes: unexpected end of JSON input$/);
  });
});

describe('runtimeConfigFor', () => {
  it('copies declared capabilities the runtime has, null values included', () => {
    assert.deepEqual(runtimeConfigFor({ type: 'x', capabilities: { a: true, b: false, c: true } }, { a: null, b: 1, d: 2 }), { a: null });
    assert.equal(runtimeConfigFor({ type: 'x' }, { a: 1 }), undefined);
    assert.equal(runtimeConfigFor({ type: 'x', capabilities: { a: true } }, undefined), undefined);
  });
});

describe('buildGCConfig / buildStatusConfig', () => {
  const plugin = pluginConfFromBytes('{"type":"noop","capabilities":{"mac":true}}');

  it('GC carries the valid attachments under both keys', () => {
    assert.equal(
      text(buildGCConfig('net', '1.1.0', plugin, [{ containerID: 'c1', ifname: 'eth0' }]).bytes),
      '{"capabilities":{"mac":true},"cni.dev/attachments":[{"containerID":"c1","ifname":"eth0"}],"cni.dev/valid-attachments":[{"containerID":"c1","ifname":"eth0"}],"cniVersion":"1.1.0","name":"net","type":"noop"}',
    );
    assert.equal(
      text(buildGCConfig('net', '1.1.0', plugin, null).bytes),
      '{"capabilities":{"mac":true},"cni.dev/attachments":null,"cni.dev/valid-attachments":null,"cniVersion":"1.1.0","name":"net","type":"noop"}',
    );
    assert.equal(text(buildGCConfig('net', '1.1.0', plugin, undefined).bytes), '{"capabilities":{"mac":true},"cniVersion":"1.1.0","name":"net","type":"noop"}');
  });

  it('STATUS injects only name and version', () => {
    assert.equal(text(buildStatusConfig('net', '1.1.0', plugin).bytes), '{"capabilities":{"mac":true},"cniVersion":"1.1.0","name":"net","type":"noop"}');
  });
});

describe('pluginDescription', () => {
  it('names the type, and the plugin\'s own name when it has one', () => {
    assert.equal(pluginDescription({ type: 'noop' }), 'type="noop"');
    assert.equal(pluginDescription({ type: 'noop', name: 'x"y' }), 'type="noop" name="x\\"y"');
    assert.equal(pluginDescription(undefined), '<missing>');
  });
});
