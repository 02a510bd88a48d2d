/**
 * `cnitool install DIR` gives a plugin directory that works on its own: the plugins run from a
 * folder outside the checkout, where nothing of the repository's node_modules can be reached.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { addNetns, delNetns, repoRoot, uniqueName } from '../helpers/host.js';

describe('cnitool install', () => {
  const target = join(mkdtempSync(join(tmpdir(), 'tscni-install-')), 'bin');
  const ns = uniqueName('tscni-inst-', 24);
  after(() => {
    delNetns(ns);
    rmSync(join(target, '..'), { recursive: true, force: true });
  });

  const install = () => spawnSync(join(repoRoot, 'dist', 'cnitool'), ['install', target], { encoding: 'utf8' });

  it('installs every plugin as a link to the shim, tscni-server as a link to the launcher, with its core, code cache and FFI addon', () => {
    const r = install();
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^installed \d+ plugins into /);
    const names = readdirSync(target).filter((n) => n !== 'node_modules' && !n.startsWith('.'));
    assert.ok(names.includes('loopback'), names.join(','));
    assert.ok(names.includes('tscni-server'), names.join(','));
    const shim = statSync(join(target, '.tscni-shim')).ino;
    for (const n of names.filter((n) => n !== 'tscni-server')) assert.equal(statSync(join(target, n)).ino, shim, n);
    assert.equal(statSync(join(target, 'tscni-server')).ino, statSync(join(target, '.tscni')).ino);
    // What the launcher loads, under the hash-carrying names it was built with; no node_modules.
    const beside = readdirSync(target).filter((n) => n.startsWith('.tscni-')).sort();
    assert.deepEqual(beside.map((n) => n.replace(/-[0-9a-f]{12,16}\./, '-H.')), ['.tscni-core-H.cache', '.tscni-core-H.cjs', '.tscni-koffi-H.node', '.tscni-shim']);
    assert.ok(!readdirSync(target).includes('node_modules'));
  });

  it('installed plugins answer VERSION and do kernel work from outside the checkout', () => {
    const version = spawnSync(join(target, 'loopback'), [], { encoding: 'utf8', env: { CNI_COMMAND: 'VERSION' } });
    assert.equal(version.status, 0, version.stderr);
    assert.ok((JSON.parse(version.stdout) as { supportedVersions: string[] }).supportedVersions.includes('1.1.0'));
    addNetns(ns);
    const add = spawnSync(join(target, 'loopback'), [], {
      encoding: 'utf8',
      input: '{"cniVersion":"1.1.0","name":"lo","type":"loopback"}',
      env: { CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'c1', CNI_NETNS: `/run/netns/${ns}`, CNI_IFNAME: 'lo', CNI_PATH: target },
    });
    assert.equal(add.status, 0, add.stdout + add.stderr);
    assert.deepEqual((JSON.parse(add.stdout) as { ips: { address: string }[] }).ips.map((i) => i.address), ['127.0.0.1/8', '::1/128']);
  });

  it('installs again over an existing installation, dropping cores no launcher names', () => {
    writeFileSync(join(target, '.tscni-core-000000000000.cjs'), '');
    const r = install();
    assert.equal(r.status, 0, r.stderr);
    assert.ok(!readdirSync(target).some((n) => n.includes('.tmp-')), 'no staging files left');
    assert.ok(!readdirSync(target).includes('.tscni-core-000000000000.cjs'));
  });

  it('refuses a source without a build', () => {
    const r = spawnSync(join(repoRoot, 'dist', 'cnitool'), ['install', target], {
      encoding: 'utf8',
      env: { ...process.env, TSCNI_PLUGIN_SOURCE: tmpdir() },
    });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no plugins built in/);
  });
});
