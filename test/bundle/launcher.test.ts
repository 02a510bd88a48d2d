/**
 * The plain bundle's layout (scripts/bundle.mjs): every plugin name is a link to a small
 * launcher that answers VERSION from a table and otherwise runs the core beside it from a
 * code cache. The table must say exactly what the plugins themselves say, and the cache must
 * be one this Node accepts, or each plugin process silently compiles the core again.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Script } from 'node:vm';
import { wrapCommonJs } from '@tscni/plugins/core-runner';
import { repoRoot } from '../helpers/host.js';

const plugins = join(repoRoot, process.env['TSCNI_DIST'] ?? 'dist', 'plugins');
const files = readdirSync(plugins);
const core = files.filter((n) => /^\.tscni-core-[0-9a-f]{12}\.cjs$/.test(n));
// The plugin names; tscni-server is the same launcher under the server's name.
const names = files.filter((n) => !n.startsWith('.') && n !== 'tscni-server');
const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', CNI_COMMAND: 'VERSION' };

describe('the plugins launcher', () => {
  it('is small, and every plugin name is a link to the shim that runs it; one core and its cache beside it', () => {
    const launcher = statSync(join(plugins, '.tscni'));
    assert.ok(launcher.size < 16 * 1024, `launcher is ${launcher.size} bytes`);
    assert.ok(names.includes('bridge') && names.includes('host-local') && names.length >= 19, names.join(','));
    const shim = statSync(join(plugins, '.tscni-shim'));
    for (const n of names) assert.equal(statSync(join(plugins, n)).ino, shim.ino, n);
    assert.equal(statSync(join(plugins, 'tscni-server')).ino, launcher.ino);
    assert.equal(core.length, 1, files.join(','));
    assert.ok(files.includes(core[0]!.replace(/\.cjs$/, '.cache')));
  });

  it("has a code cache this Node accepts for the core, wrapped as the launcher wraps it", () => {
    const file = join(plugins, core[0]!);
    const source = readFileSync(file, 'utf8');
    const script = new Script(wrapCommonJs(source), {
      filename: file,
      cachedData: readFileSync(file.replace(/\.cjs$/, '.cache')),
    });
    assert.equal(script.cachedDataRejected, false);
  });

  it('answers VERSION for every plugin byte for byte as the plugins themselves do, without reading stdin (the shim and the launcher)', () => {
    for (const n of names) {
      const fast = spawnSync(join(plugins, n), [], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      const launcher = spawnSync(join(plugins, '.tscni'), [n], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      const full = spawnSync(process.execPath, [join(plugins, core[0]!), n], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      assert.equal(fast.status, 0, `${n}: ${fast.stderr}`);
      assert.equal(full.status, 0, `${n}: ${full.stderr}`);
      assert.equal(fast.stdout, full.stdout, n);
      assert.equal(launcher.stdout, full.stdout, n);
      assert.equal(fast.stderr, '');
    }
  });

  it('says what is wrong, as a CNI error, when the core is missing (a partial install); VERSION still answers', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tscni-launcher-'));
    try {
      copyFileSync(join(plugins, '.tscni'), join(dir, 'ptp'));
      chmodSync(join(dir, 'ptp'), 0o755);
      const version = spawnSync(join(dir, 'ptp'), [], { env, encoding: 'utf8' });
      assert.equal(version.status, 0, version.stderr);
      const add = spawnSync(join(dir, 'ptp'), [], { env: { PATH: env.PATH, CNI_COMMAND: 'ADD' }, encoding: 'utf8' });
      assert.equal(add.status, 1);
      assert.equal(add.stderr, '');
      const err = JSON.parse(add.stdout) as { code: number; msg: string };
      assert.equal(err.code, 999);
      assert.match(err.msg, /cannot read the plugins' core .*\.tscni-core-[0-9a-f]{12}\.cjs \(ENOENT\); reinstall/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("loads no heavy built-in where a plugin does not use one: VERSION through the core, and a ptp DEL with in-process host-local", () => {
    // A top-level read of a built-in's export (or a new static import in a hot module that
    // scripts/lazy-builtins.mjs cannot defer) shows up here as a module loaded for nothing.
    const dir = mkdtempSync(join(tmpdir(), 'tscni-builtins-'));
    try {
      const preload = join(dir, 'list.cjs');
      writeFileSync(preload, "process.on('exit', () => require('fs').writeSync(2, '\\n' + JSON.stringify(process.moduleLoadList)));\n");
      const loaded = (stderr: string): string[] => (JSON.parse(stderr.slice(stderr.lastIndexOf('\n') + 1)) as string[]).filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13));
      const heavy = ['crypto', 'child_process', 'worker_threads', 'net', 'stream', 'dgram', 'readline', 'fs/promises', 'os'];
      const version = spawnSync(process.execPath, ['-r', preload, join(plugins, core[0]!), 'ptp'], { env, encoding: 'utf8' });
      assert.equal(version.status, 0, version.stderr);
      assert.deepEqual(loaded(version.stderr).filter((m) => heavy.includes(m)), []);
      const config = JSON.stringify({ cniVersion: '1.0.0', name: 'lazy', type: 'ptp', ipam: { type: 'host-local', subnet: '10.251.9.0/24', dataDir: join(dir, 'ipam') } });
      const del = spawnSync(process.execPath, ['-r', preload, join(plugins, '.tscni'), 'ptp'], {
        input: config,
        encoding: 'utf8',
        env: { PATH: env.PATH, CNI_COMMAND: 'DEL', CNI_CONTAINERID: 'lazy1', CNI_IFNAME: 'eth0', CNI_PATH: plugins },
      });
      assert.equal(del.status, 0, del.stdout + del.stderr);
      assert.deepEqual(loaded(del.stderr).filter((m) => heavy.includes(m)), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('hands everything else to the core: usage without CNI_COMMAND, errors, unknown names', () => {
    const usage = spawnSync(join(plugins, 'ptp'), [], { env: { PATH: env.PATH }, encoding: 'utf8' });
    assert.equal(usage.status, 0);
    assert.match(usage.stderr, /CNI protocol versions supported: /);
    const bad = spawnSync(join(plugins, 'ptp'), [], { env: { PATH: env.PATH, CNI_COMMAND: 'ADD' }, encoding: 'utf8' });
    assert.equal(bad.status, 1);
    assert.equal(JSON.parse(bad.stdout).code, 4);
    const unknown = spawnSync(join(plugins, '.tscni'), ['nosuch'], { env, encoding: 'utf8' });
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /no plugin named "nosuch"/);
  });
});
