/**
 * The single-executable build (scripts/build-sea.mjs, built here into a scratch directory) and
 * the plugins' launcher: the SEA answers under every plugin name, does kernel work through
 * its embedded FFI addon, installs with `cnitool install --sea`; neither it nor the plain
 * bundle lets NODE_OPTIONS / NODE_EXTRA_CA_CERTS from the runtime's environment into Node,
 * while delegated plugins still get them.
 */
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { scratchNetns, type ScratchNetns } from '@tscni/netlink/testing/scratch-netns';
import { pluginNames } from '@tscni/plugins/registry';
import { runPlugin } from '@tscni/plugins/testing/run-plugin';
import { repoRoot } from '../helpers/host.js';

const dist = join(repoRoot, process.env['TSCNI_DIST'] ?? 'dist');
const plainDir = join(dist, 'plugins');
const PATH = process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin';
/** Either would break a Node that honours it: a preload that does not exist, a CA file that does not (a warning on stderr). */
const HOSTILE_ENV = { NODE_OPTIONS: '--require /nonexistent-tscni', NODE_EXTRA_CA_CERTS: '/nonexistent' };

const versionOf = (r: SpawnSyncReturns<string>): string[] => (JSON.parse(r.stdout) as { supportedVersions: string[] }).supportedVersions;

describe('single executable (SEA) and the plugins launcher', () => {
  const work = mkdtempSync(join(tmpdir(), 'tscni-sea-'));
  const seaDir = join(work, 'sea');
  const addonDir = join(work, 'addon');
  const namespaces: ScratchNetns[] = [];
  const exec = (file: string, args: string[], env: Record<string, string>, input = ''): SpawnSyncReturns<string> =>
    spawnSync(file, args, { encoding: 'utf8', input, env: { PATH, TSCNI_ADDON_DIR: addonDir, ...env } });

  before(() => {
    const r = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'build-sea.mjs'), '--out', seaDir], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });
  after(() => {
    namespaces.forEach((ns) => ns.remove());
    rmSync(work, { recursive: true, force: true });
  });

  it('is one executable with a hard link to it per plugin name, usable as CNI_PATH', () => {
    const exe = statSync(join(seaDir, '.tscni'));
    assert.ok(exe.mode & 0o111, 'executable');
    assert.deepEqual(readdirSync(seaDir).filter((n) => n !== '.tscni').sort(), pluginNames());
    for (const n of pluginNames()) assert.equal(statSync(join(seaDir, n)).ino, exe.ino, n);
  });

  it('answers VERSION under a link name and as `.tscni <name>`, and refuses an unknown name', () => {
    const loopback = exec(join(seaDir, 'loopback'), [], { CNI_COMMAND: 'VERSION' });
    assert.equal(loopback.status, 0, loopback.stderr);
    assert.ok(versionOf(loopback).includes('1.1.0'));
    const firewall = exec(join(seaDir, '.tscni'), ['firewall'], { CNI_COMMAND: 'VERSION' });
    assert.equal(firewall.status, 0, firewall.stderr);
    assert.equal(versionOf(firewall)[0], '0.4.0', 'the firewall plugin, not the executable name');
    const none = exec(join(seaDir, '.tscni'), [], { CNI_COMMAND: 'VERSION' });
    assert.equal(none.status, 1);
    assert.match(none.stderr, /no plugin named "\.tscni"; install this file under one of: bandwidth, bridge/);
  });

  it('keeps NODE_OPTIONS and NODE_EXTRA_CA_CERTS away from Node, in the plain bundle and the SEA', () => {
    // The variables do break Node when it honours them.
    const bare = exec(process.execPath, [join(plainDir, '.tscni'), 'loopback'], { CNI_COMMAND: 'VERSION', ...HOSTILE_ENV });
    assert.notEqual(bare.status, 0);
    for (const dir of [plainDir, seaDir]) {
      const r = exec(join(dir, 'loopback'), [], { CNI_COMMAND: 'VERSION', ...HOSTILE_ENV });
      assert.equal(r.status, 0, `${dir}: ${r.stderr}`);
      assert.equal(r.stderr, '', dir);
      assert.ok(versionOf(r).includes('1.0.0'), dir);
    }
  });

  it('gives a delegated plugin the runtime\'s NODE_OPTIONS and NODE_EXTRA_CA_CERTS back (flannel -> delegate)', () => {
    const recorded = join(work, 'delegate-env');
    const pathDir = join(work, 'delegate-bin');
    spawnSync('mkdir', ['-p', pathDir]);
    const recorder = join(pathDir, 'recorder');
    writeFileSync(recorder, `#!/bin/sh\ncat >/dev/null\nenv > '${recorded}'\nprintf '{"cniVersion":"1.0.0"}'\n`);
    chmodSync(recorder, 0o755);
    const subnetFile = join(work, 'subnet.env');
    writeFileSync(subnetFile, 'FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.7.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=false\n');
    for (const dir of [plainDir, seaDir]) {
      rmSync(recorded, { force: true });
      const config = { cniVersion: '1.0.0', name: 'fl', type: 'flannel', subnetFile, dataDir: join(work, 'flannel'), delegate: { type: 'recorder' } };
      const env = { CNI_COMMAND: 'ADD', CNI_CONTAINERID: `c-${statSync(dir).ino}`, CNI_NETNS: '/run/netns/none', CNI_IFNAME: 'eth0', CNI_PATH: `${dir}:${pathDir}` };
      const r = exec(join(dir, 'flannel'), [], { ...env, ...HOSTILE_ENV }, JSON.stringify(config));
      assert.equal(r.status, 0, `${dir}: ${r.stdout}${r.stderr}`);
      const seen = readFileSync(recorded, 'utf8').split('\n');
      assert.ok(seen.includes(`NODE_OPTIONS=${HOSTILE_ENV.NODE_OPTIONS}`), `${dir}: ${seen.join(' ')}`);
      assert.ok(seen.includes(`NODE_EXTRA_CA_CERTS=${HOSTILE_ENV.NODE_EXTRA_CA_CERTS}`), dir);
      assert.ok(!seen.some((l) => l.startsWith('TSCNI_OPTS=') || l.startsWith('TSCNI_CACERTS=')), dir);

      rmSync(recorded, { force: true });
      const quiet = exec(join(dir, 'flannel'), [], { ...env, CNI_CONTAINERID: `${env.CNI_CONTAINERID}-2` }, JSON.stringify(config));
      assert.equal(quiet.status, 0, quiet.stdout + quiet.stderr);
      const unset = readFileSync(recorded, 'utf8').split('\n');
      assert.ok(!unset.some((l) => /^(NODE_OPTIONS|NODE_EXTRA_CA_CERTS|TSCNI_OPTS|TSCNI_CACERTS)=/.test(l)), `${dir}: nothing is set that the runtime did not set`);
    }
  });

  it('runs ptp + host-local ADD, CHECK and DEL in throw-away namespaces, its FFI addon cached once by hash', () => {
    const host = scratchNetns('tscni-sea-h-');
    namespaces.push(host);
    const cont = scratchNetns('tscni-sea-c-');
    namespaces.push(cont);
    const config = {
      cniVersion: '1.1.0',
      name: 'seanet',
      type: 'ptp',
      ipam: { type: 'host-local', subnet: '10.78.0.0/24', routes: [{ dst: '0.0.0.0/0' }], dataDir: join(work, 'ipam') },
    };
    const call = { containerID: 'sea1', netns: cont.path, ifName: 'eth0', path: seaDir, hostNetns: host.name, env: { TSCNI_ADDON_DIR: addonDir } };
    const add = runPlugin('ptp', { ...call, command: 'ADD', config }, seaDir);
    assert.equal(add.code, 0, add.stdout + add.stderr);
    const result = add.json as { ips: { address: string; gateway: string }[] };
    assert.deepEqual(result.ips.map((i) => `${i.address} via ${i.gateway}`), ['10.78.0.2/24 via 10.78.0.1']);
    const addrs = JSON.parse(cont.exec('ip', ['-j', 'addr', 'show', 'eth0'])) as { addr_info: { family: string; local: string }[] }[];
    assert.deepEqual(addrs[0]!.addr_info.filter((a) => a.family === 'inet').map((a) => a.local), ['10.78.0.2']);

    const check = runPlugin('ptp', { ...call, command: 'CHECK', config: { ...config, prevResult: add.json } }, seaDir);
    assert.equal(check.code, 0, check.stdout + check.stderr);
    for (let i = 0; i < 2; i++) {
      const del = runPlugin('ptp', { ...call, command: 'DEL', config }, seaDir);
      assert.equal(del.code, 0, del.stdout + del.stderr);
    }
    assert.deepEqual((JSON.parse(cont.exec('ip', ['-j', 'link'])) as { ifname: string }[]).map((l) => l.ifname), ['lo']);
    assert.deepEqual(readdirSync(join(work, 'ipam', 'seanet')).filter((f) => /^\d/.test(f)), [], 'the address is released');
    const cached = readdirSync(addonDir);
    assert.equal(cached.length, 1, cached.join(','));
    assert.match(cached[0]!, /^koffi-[0-9a-f]{16}\.node$/);
    assert.equal(statSync(join(addonDir, cached[0]!)).mode & 0o777, 0o444);
  });

  it('installs with cnitool install --sea: the executable and its links, atomically, again over itself', () => {
    const target = join(work, 'bin');
    const install = (source: string): SpawnSyncReturns<string> =>
      spawnSync(join(dist, 'cnitool'), ['install', '--sea', target], { encoding: 'utf8', env: { PATH, TSCNI_SEA_SOURCE: source } });
    for (let i = 0; i < 2; i++) {
      const r = install(seaDir);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^installed ${pluginNames().length} single-executable plugins into ${target}: bandwidth, bridge`));
      const exe = statSync(join(target, '.tscni'));
      assert.notEqual(exe.ino, statSync(join(seaDir, '.tscni')).ino, 'a copy, not a link into the build');
      for (const n of pluginNames()) assert.equal(statSync(join(target, n)).ino, exe.ino, n);
      assert.deepEqual(readdirSync(target).filter((n) => n.includes('.tmp-')), [], 'no staging files left');
      assert.ok(!readdirSync(target).includes('node_modules'), 'nothing besides the executable');
    }
    const version = exec(join(target, 'bridge'), [], { CNI_COMMAND: 'VERSION' });
    assert.equal(version.status, 0, version.stderr);
    const none = install(work);
    assert.equal(none.status, 1);
    assert.match(none.stderr, /no plugins built in .* \(run npm run build:sea\)/);
  });
});
