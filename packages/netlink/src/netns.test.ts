import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { buildSync } from 'esbuild';
import { after, before, describe, it } from 'node:test';
import { NetNS, NetNSPathError, currentNetNSPath, hostNetNS, netnsExists, sameNetNS, windowDepth, withNetNS } from './netns.js';
import { scratchNetns, type ScratchNetns } from './testing/scratch-netns.js';

/** The namespace of every thread of this process, as /proc shows it. */
function threadNamespaces(): string[] {
  return readdirSync('/proc/self/task').map((tid) => readlinkSync(`/proc/self/task/${tid}/ns/net`));
}

const openFds = (): number => readdirSync('/proc/self/fd').length;

// Where koffi is installed, for the bundle that leaves it external.
const repoNodeModules = dirname(dirname(createRequire(import.meta.url).resolve('koffi')));

describe('network namespace window', () => {
  let a: ScratchNetns;
  let b: ScratchNetns;
  const host = readlinkSync('/proc/self/ns/net');

  before(() => {
    a = scratchNetns('tscni-ns-a-');
    b = scratchNetns('tscni-ns-b-');
  });
  after(() => {
    a?.remove();
    b?.remove();
  });

  it('runs the function inside the namespace and comes back', () => {
    const inside = withNetNS(a.path, () => statSync(currentNetNSPath()).ino);
    assert.equal(inside, statSync(a.path).ino);
    assert.equal(readlinkSync(currentNetNSPath()), host);
    assert.ok(withNetNS(a.path, () => sameNetNS(currentNetNSPath(), a.path)));
    assert.equal(sameNetNS(currentNetNSPath(), a.path), false);
  });

  it('returns to the outer namespace from a nested window', () => {
    const ns = NetNS.open(a.path);
    try {
      const seen = withNetNS(ns, () => {
        const inner = withNetNS(b.path, () => [sameNetNS(currentNetNSPath(), b.path), windowDepth()] as const);
        return [...inner, sameNetNS(currentNetNSPath(), a.path), windowDepth()];
      });
      assert.deepEqual(seen, [true, 2, true, 1]);
      assert.equal(windowDepth(), 0);
      assert.equal(readlinkSync(currentNetNSPath()), host);
      assert.equal(ns.closed, false, 'a namespace it was given is not closed');
    } finally {
      ns.close();
    }
  });

  it('comes back when the function throws, and refuses async functions', async () => {
    assert.throws(() => withNetNS(a.path, () => { throw new Error('boom'); }), /boom/);
    assert.equal(readlinkSync(currentNetNSPath()), host);
    assert.throws(() => withNetNS(a.path, () => stat('/')), /returned a promise; work inside a namespace must be synchronous/);
    assert.equal(readlinkSync(currentNetNSPath()), host);
    await stat('/');
  });

  it('stays clean over a thousand windows interleaved with async work: host namespace everywhere, no fd leaked', async () => {
    const ns = NetNS.open(a.path);
    const before = openFds();
    try {
      for (let i = 0; i < 1000; i++) {
        withNetNS(i % 2 ? ns : b.path, () => readlinkSync(currentNetNSPath()));
        if (i % 10 === 0) await Promise.all([stat('/'), stat('/proc'), new Promise((r) => setImmediate(r))]);
      }
    } finally {
      ns.close();
    }
    assert.equal(openFds(), before - 1, 'nothing open but what was before, less the NetNS closed above');
    assert.deepEqual(new Set(threadNamespaces()), new Set([host]));
  });

  it('tells the onNetnsBroken handler at once when a window cannot switch back, and refuses every later window', () => {
    // In a process of its own: the thread stays in the container's namespace afterwards.
    const lib = fileURLToPath(new URL('./netns.js', import.meta.url));
    const script = [
      "import { closeSync } from 'node:fs';",
      `import { hostNetNS, onNetnsBroken, withNetNS } from ${JSON.stringify(lib)};`,
      'let heard;',
      'onNetnsBroken((e) => { heard = e.message; });',
      'const host = hostNetNS();',
      'let thrown, later;',
      // The way back is gone: closing the host namespace's fd makes the setns back fail.
      `try { withNetNS(${JSON.stringify(a.path)}, () => closeSync(host.fd)); } catch (e) { thrown = e.message; }`,
      `try { withNetNS(${JSON.stringify(a.path)}, () => 1); } catch (e) { later = e.message; }`,
      'console.log(JSON.stringify({ heard, thrown, later }));',
    ].join('\n');
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const got = JSON.parse(r.stdout) as { heard: string; thrown: string; later: string };
    assert.match(got.heard, /^cannot return to the previous network namespace: /);
    assert.equal(got.thrown, got.heard);
    assert.equal(got.later, got.heard);
  });

  it('creates the thread pool in the host namespace even when the first async call is made inside a window', () => {
    // A fresh process loaded as one CommonJS bundle, as the plugins ship: nothing async has
    // run before the window, so the pool does not exist until the window's first request.
    // (Loading ES modules would start the pool early and hide the trap.)
    const dir = mkdtempSync(join(tmpdir(), 'tscni-pool-'));
    const script = join(dir, 'probe.cjs');
    try {
      buildSync({ entryPoints: [fileURLToPath(new URL('./testing/pool-probe.js', import.meta.url))], outfile: script, bundle: true, platform: 'node', format: 'cjs', external: ['koffi'], logLevel: 'error' });
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
    const r = spawnSync(process.execPath, [script, a.path], { encoding: 'utf8', env: { ...process.env, NODE_PATH: join(repoNodeModules) } });
    rmSync(dir, { recursive: true, force: true });
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { host: string; threads: string[]; container: string };
    assert.notEqual(report.container, report.host);
    assert.ok(report.threads.length > 1, 'the pool threads exist');
    assert.deepEqual(new Set(report.threads), new Set([report.host]));
  });

  it('opens namespaces by path with the reference error kinds', () => {
    assert.throws(() => NetNS.open('/nonexistent/ns'), (e: unknown) => e instanceof NetNSPathError && e.code === 'ENOENT' && e.message === 'failed to Statfs "/nonexistent/ns": no such file or directory');
    assert.throws(() => NetNS.open('/etc/hostname'), (e: unknown) => e instanceof NetNSPathError && e.code === 'ENOTNETNS' && /^unknown FS magic on "\/etc\/hostname": /.test(e.message));
    assert.equal(netnsExists(a.path), true);
    assert.equal(netnsExists('/nonexistent/ns'), false);
    assert.ok(sameNetNS(hostNetNS().path, '/proc/self/ns/net'));
    assert.ok(NetNS.open(`/proc/${process.pid}/ns/net`).fd > 0);
  });
});
