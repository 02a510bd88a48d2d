import assert from 'node:assert/strict';
import { chmodSync, linkSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { scratchNetns, type ScratchNetns } from '@tscni/netlink/testing/scratch-netns';
import { CniError } from '@tscni/spec/errors';
import { InProcessExec } from './in-process-exec.js';
import { PLUGIN_DIR, runPlugin } from './testing/run-plugin.js';

describe('InProcessExec', () => {
  let dir: string;
  let ns: ScratchNetns;
  const self = () => join(dir, '.tscni');

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tscni-inproc-'));
    writeFileSync(self(), '#!/bin/sh\nexit 3\n');
    chmodSync(self(), 0o755);
    linkSync(self(), join(dir, 'loopback'));
    writeFileSync(join(dir, 'other'), '#!/bin/sh\nprintf \'{"cniVersion":"1.1.0","ips":[{"address":"10.5.0.2/24"}]}\'\n');
    chmodSync(join(dir, 'other'), 0o755);
    ns = scratchNetns('tscni-inproc-');
  });
  after(() => {
    ns?.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  const env = (command: string) => ({ CNI_COMMAND: command, CNI_CONTAINERID: 'c1', CNI_NETNS: ns.path, CNI_IFNAME: 'lo', CNI_PATH: dir, CNI_ARGS: '' });
  const conf = new TextEncoder().encode('{"cniVersion":"1.0.0","name":"n","type":"loopback"}');

  it('runs a delegate that is this bundle in-process, with the output its exec would give', async () => {
    const exec = new InProcessExec(self());
    assert.ok(exec.ownEntry(join(dir, 'loopback')));
    const out = new TextDecoder().decode(await exec.execPlugin(join(dir, 'loopback'), conf, env('ADD')));
    // The shell script behind the link would exit 3: this output can only come from in-process.
    const execd = runPlugin('loopback', { command: 'ADD', config: new TextDecoder().decode(conf), containerID: 'c1', netns: ns.path, ifName: 'lo' }, PLUGIN_DIR);
    assert.equal(execd.code, 0, execd.stdout);
    assert.equal(out, execd.stdout);
  });

  it('reports an in-process failure as the exec would (the plugin error JSON decoded)', async () => {
    const exec = new InProcessExec(self());
    await assert.rejects(exec.execPlugin(join(dir, 'loopback'), new TextEncoder().encode('{"cniVersion":"9.9.9","name":"n"}'), env('ADD')), (e: unknown) => {
      assert.ok(e instanceof CniError);
      assert.equal(e.code, 1);
      assert.equal(e.msg, 'incompatible CNI versions');
      return true;
    });
  });

  it('execs anything that is not this bundle', async () => {
    const exec = new InProcessExec(self());
    assert.equal(exec.ownEntry(join(dir, 'other')), undefined);
    const out = new TextDecoder().decode(await exec.execPlugin(join(dir, 'other'), conf, env('ADD')));
    assert.match(out, /10\.5\.0\.2/);
    assert.equal(new InProcessExec(undefined).ownEntry(join(dir, 'loopback')), undefined);
  });
});
