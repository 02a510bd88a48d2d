import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createResult } from '@tscni/spec/result-decode';
import { CNI_CACHE_V1, ResultCache, decodeCacheRecord, encodeCacheRecord } from './cache.js';
import type { RuntimeConf } from './runtime-conf.js';
import { cleanup, rejection, tempDir } from './testdata/fixtures.js';

const rt: RuntimeConf = {
  containerID: 'some-container-id',
  netNS: '/some/netns/path',
  ifName: 'eth0',
  args: [['DEBUG', '/tmp/x']],
  capabilityArgs: { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }], b: '<>' },
};

describe('cache records', () => {
  it('encode in Go struct order, config in base64, maps sorted', () => {
    const bytes = encodeCacheRecord({
      kind: CNI_CACHE_V1,
      containerId: 'c1',
      config: Buffer.from('{"name":"n"}'),
      ifName: 'eth0',
      networkName: 'n',
      netns: '/ns',
      cniArgs: [['K', 'V']],
      capabilityArgs: { z: 1, a: { y: 2, b: 3 } },
      result: { ips: [], cniVersion: '1.1.0' },
    });
    assert.equal(
      bytes,
      '{"kind":"cniCacheV1","containerId":"c1","config":"eyJuYW1lIjoibiJ9","ifName":"eth0","networkName":"n","netns":"/ns","cniArgs":[["K","V"]],"capabilityArgs":{"a":{"b":3,"y":2},"z":1},"result":{"cniVersion":"1.1.0","ips":[]}}',
    );
  });

  it('omit empty optional fields', () => {
    const bytes = encodeCacheRecord({ kind: CNI_CACHE_V1, containerId: 'c1', config: new Uint8Array(), ifName: 'eth0', networkName: 'n', netns: '', cniArgs: [], capabilityArgs: {} });
    assert.equal(bytes, '{"kind":"cniCacheV1","containerId":"c1","config":"","ifName":"eth0","networkName":"n"}');
  });

  it('decode like Go (case-insensitive keys, Go type errors)', () => {
    const r = decodeCacheRecord(Buffer.from('{"KIND":"cniCacheV1","containerid":"c","config":"eyJ9","cniArgs":[["a","b","c"],["d"]]}'));
    assert.equal(r.kind, 'cniCacheV1');
    assert.equal(r.containerId, 'c');
    assert.equal(Buffer.from(r.config).toString(), '{"}');
    assert.deepEqual(r.cniArgs, [['a', 'b'], ['d', '']]);
    assert.throws(() => decodeCacheRecord(Buffer.from('adfadsfasdfasfdsafaf')), { message: "invalid character 'a' looking for beginning of value" });
    assert.throws(() => decodeCacheRecord(Buffer.from('{"kind":1}')), { message: 'json: cannot unmarshal number into Go struct field cachedInfo.kind of type string' });
    assert.throws(() => decodeCacheRecord(Buffer.from('[]')), { message: 'json: cannot unmarshal array into Go value of type libcni.cachedInfo' });
    assert.throws(() => decodeCacheRecord(Buffer.from('{"config":"!!"}')), { message: 'illegal base64 data at input byte 0' });
  });
});

describe('ResultCache', () => {
  let dir: string;
  let cache: ResultCache;
  const result = createResult('1.1.0', '{"cniVersion":"1.1.0","ips":[{"address":"10.1.2.3/24"}],"dns":{}}');

  beforeEach(() => {
    dir = tempDir('cache');
    cache = new ResultCache(dir);
  });

  afterEach(() => {
    cleanup(dir);
  });

  it('requires all three names for a path', () => {
    assert.throws(() => cache.filePath('', { containerID: 'some-container-id', ifName: 'eth0' }), {
      message: 'cache file path requires network name (""), container ID ("some-container-id"), and interface name ("eth0")',
    });
    assert.throws(() => cache.filePath('foobar', { containerID: '', ifName: 'eth0' }), {
      message: 'cache file path requires network name ("foobar"), container ID (""), and interface name ("eth0")',
    });
    assert.throws(() => cache.filePath('foobar', { containerID: 'some-container-id', ifName: '' }), {
      message: 'cache file path requires network name ("foobar"), container ID ("some-container-id"), and interface name ("")',
    });
    assert.equal(cache.filePath('n', rt), join(dir, 'results', 'n-some-container-id-eth0'));
  });

  it('refuses names that would reach outside results/ (the reference does not)', async () => {
    assert.throws(() => cache.filePath('n', { containerID: '/../../../etc/passwd', ifName: 'eth0' }), {
      message: `cache file path: container ID "/../../../etc/passwd" contains '/' or NUL`,
    });
    assert.throws(() => cache.filePath('a/b', rt), /network name "a\/b" contains/);
    assert.throws(() => cache.filePath('n', { containerID: 'c', ifName: 'x\0' }), /interface name "x\\x00" contains/);
    // DEL tolerates it but removes nothing outside the cache.
    const victim = join(dir, 'victim-eth0');
    writeFileSync(victim, 'keep');
    await cache.del('n', { containerID: '/../../victim', ifName: 'eth0', netNS: '' });
    assert.equal(readFileSync(victim, 'utf8'), 'keep');
  });

  it('writes the record atomically with the reference bytes and permissions', async () => {
    const config = Buffer.from('{"cniVersion":"1.1.0","name":"n","plugins":[{"type":"noop"}]}');
    await cache.add(result, config, 'n', rt);
    const path = cache.filePath('n', rt);
    assert.equal(
      readFileSync(path, 'utf8'),
      `{"kind":"cniCacheV1","containerId":"some-container-id","config":"${config.toString('base64')}","ifName":"eth0","networkName":"n","netns":"/some/netns/path",` +
        '"cniArgs":[["DEBUG","/tmp/x"]],"capabilityArgs":{"b":"\\u003c\\u003e","portMappings":[{"containerPort":80,"hostPort":8080,"protocol":"tcp"}]},' +
        '"result":{"cniVersion":"1.1.0","ips":[{"address":"10.1.2.3/24"}]}}',
    );
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'results')).mode & 0o777, 0o700);
    await cache.add(result, config, 'n', { ...rt, netNS: '' });
    assert.deepEqual(readdirSync(join(dir, 'results')), ['n-some-container-id-eth0'], 'no temporary files left');
    assert.ok(!readFileSync(path, 'utf8').includes('netns'));
  });

  it('reports an unusable cache directory', async () => {
    writeFileSync(join(dir, 'results'), 'afdsasdfasdf');
    assert.equal((await rejection(cache.add(result, new Uint8Array(), 'n', rt))).message, `mkdir ${join(dir, 'results')}: not a directory`);
  });

  it('reads results back in the requested version, legacy bare results included', async () => {
    assert.equal(await cache.getResult('n', '1.1.0', rt), undefined);
    await cache.add(result, new Uint8Array(), 'n', rt);
    assert.deepEqual(await cache.getResult('n', '0.4.0', rt), { cniVersion: '0.4.0', ips: [{ version: '4', address: '10.1.2.3/24' }] });
    mkdirSync(join(dir, 'results'), { recursive: true });
    writeFileSync(cache.filePath('n', rt), '{"cniVersion":"0.3.1","ips":[{"version":"4","address":"10.1.2.3/24"}],"dns":{}}');
    assert.deepEqual(await cache.getResult('n', '1.1.0', rt), { cniVersion: '1.1.0', ips: [{ address: '10.1.2.3/24' }], dns: {} });
    writeFileSync(cache.filePath('n', rt), '');
    assert.equal((await rejection(cache.getResult('n', '1.1.0', rt))).message, 'decoding version from network config: unexpected end of JSON input');
    writeFileSync(cache.filePath('n', rt), '{"cniVersion":"1.1.0"}');
    assert.equal((await rejection(cache.getResult('n', '0.2.0', rt))).message, 'failed to convert cached result to config version "0.2.0": cannot convert: no valid IP addresses');
  });

  it('reads back the config and runtime parameters', async () => {
    assert.equal(await cache.getConfig('n', rt), undefined);
    await cache.add(result, Buffer.from('cfg'), 'n', rt);
    const cached = await cache.getConfig('n', { containerID: rt.containerID, netNS: 'other', ifName: rt.ifName });
    assert.ok(cached);
    assert.equal(Buffer.from(cached.config).toString(), 'cfg');
    assert.deepEqual(cached.rt, { containerID: rt.containerID, netNS: 'other', ifName: rt.ifName, args: rt.args, capabilityArgs: rt.capabilityArgs });
    writeFileSync(cache.filePath('n', rt), '{"kind":"other"}');
    assert.equal((await rejection(cache.getConfig('n', rt))).message, 'read cached network "n" config has wrong kind: other');
  });

  it('lists attachments, filtered by container and skipping foreign files', async () => {
    assert.deepEqual(await cache.attachments(''), []);
    await cache.add(result, Buffer.from('a'), 'net1', rt);
    await cache.add(result, Buffer.from('b'), 'net2', { containerID: 'other-id', netNS: '', ifName: 'eth1' });
    const results = join(dir, 'results');
    writeFileSync(join(results, 'garbage-some-container-id-x'), 'adfadsfasdfasfdsafaf');
    writeFileSync(join(results, 'legacy-some-container-id-x'), '{"cniVersion":"1.1.0"}');
    writeFileSync(join(results, 'mismatch-some-container-id-x'), encodeCacheRecord({ kind: CNI_CACHE_V1, containerId: 'else', config: new Uint8Array(), ifName: 'x', networkName: 'm' }));
    writeFileSync(join(results, '.tmp-net1-some-container-id-eth0-1-ab'), readFileSync(cache.filePath('net1', rt)));
    const all = await cache.attachments('');
    assert.deepEqual(all.map((a) => [a.network, a.containerID, a.ifName]), [
      ['m', 'else', 'x'],
      ['net1', 'some-container-id', 'eth0'],
      ['net2', 'other-id', 'eth1'],
    ]);
    const mine = await cache.attachments('some-container-id');
    assert.equal(mine.length, 1);
    assert.deepEqual({ ...mine[0], config: Buffer.from(mine[0]!.config).toString() }, {
      containerID: 'some-container-id',
      network: 'net1',
      ifName: 'eth0',
      config: 'a',
      netNS: '/some/netns/path',
      cniArgs: rt.args,
      capabilityArgs: rt.capabilityArgs,
    });
  });

  it('deletes records and tolerates missing ones', async () => {
    await cache.add(result, new Uint8Array(), 'n', rt);
    await cache.del('n', rt);
    await cache.del('n', rt);
    await cache.del('', rt);
    assert.deepEqual(readdirSync(join(dir, 'results')), []);
  });
});
