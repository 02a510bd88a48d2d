/**
 * The built dhcp plugin against a daemon that runs in this process with fake clients: the
 * protocol, the result in every version, CHECK/DEL/GC/STATUS and the error codes.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PLUGIN_DIR } from '../../testing/run-plugin.js';
import { LeaseStore } from './daemon/lease-store.js';
import { LeaseManager } from './daemon/leases.js';
import { daemonServer } from './daemon/server.js';
import { FakeFactory } from './testing/fake-client.js';

interface Outcome {
  code: number;
  stdout: string;
  json?: Record<string, unknown>;
}

function run(command: string, config: object, env: Record<string, string> = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = execFile(
      join(PLUGIN_DIR, 'dhcp'),
      [],
      { env: { PATH: process.env['PATH'] ?? '', CNI_COMMAND: command, CNI_CONTAINERID: 'c1', CNI_NETNS: '/run/netns/c1', CNI_IFNAME: 'eth0', CNI_PATH: PLUGIN_DIR, ...env } },
      (error, stdout) => {
        let json: Record<string, unknown> | undefined;
        try {
          json = JSON.parse(stdout) as Record<string, unknown>;
        } catch {
          json = undefined;
        }
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, ...(json ? { json } : {}) });
      },
    );
    child.stdin!.end(JSON.stringify(config));
  });
}

describe('dhcp plugin (fake daemon clients)', () => {
  let dir: string;
  let socket: string;
  let server: Server;
  const factory = new FakeFactory();
  const conf = (cniVersion = '1.0.0', ipam: object = {}): object => ({ cniVersion, name: 'dnet', type: 'macvlan', ipam: { type: 'dhcp', daemonSocketPath: socket, ...ipam } });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tscni-dhcp-plugin-'));
    socket = join(dir, 'dhcp.sock');
    const manager = new LeaseManager(new LeaseStore(join(dir, 'state')), factory, { hostPrefix: '', timeoutMs: 1000, resendMaxMs: 1000, resendTimeoutMs: 1000 }, () => undefined);
    server = daemonServer(manager);
    await new Promise<void>((r) => server.listen(socket, r));
  });
  after(async () => {
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('ADD prints the lease in the config version; a second ADD gets the same lease', async () => {
    const add = await run('ADD', conf());
    assert.equal(add.code, 0, add.stdout);
    assert.deepEqual(add.json, { cniVersion: '1.0.0', ips: [{ address: '10.99.0.50/24', gateway: '10.99.0.1' }], routes: [{ dst: '0.0.0.0/0', gw: '10.99.0.1' }] });
    const again = await run('ADD', conf('0.4.0'));
    assert.deepEqual(again.json, { cniVersion: '0.4.0', ips: [{ version: '4', address: '10.99.0.50/24', gateway: '10.99.0.1' }], routes: [{ dst: '0.0.0.0/0', gw: '10.99.0.1' }], dns: {} });
    assert.equal(factory.clients.length, 1);
    assert.equal(factory.clients[0]!.options.netnsPath, '/run/netns/c1');
  });

  it('CHECK passes for the lease in prevResult and fails for another address or an unknown attachment', async () => {
    const prev = { cniVersion: '1.0.0', ips: [{ address: '10.99.0.50/24', gateway: '10.99.0.1' }] };
    assert.equal((await run('CHECK', { ...conf(), prevResult: prev })).code, 0);
    const other = await run('CHECK', { ...conf(), prevResult: { cniVersion: '1.0.0', ips: [{ address: '10.99.0.77/24' }] } });
    assert.equal(other.code, 1);
    assert.match(String(other.json?.['msg']), /leased address 10\.99\.0\.50\/24 of c1\/dnet\/eth0 is not in prevResult/);
    const unknown = await run('CHECK', conf(), { CNI_CONTAINERID: 'nobody' });
    assert.equal(unknown.code, 1);
    assert.match(String(unknown.json?.['msg']), /error calling DHCP.Check: no lease held for nobody\/dnet\/eth0/);
    assert.equal(factory.clients.length, 1, 'CHECK acquired nothing');
  });

  it('GC releases attachments that are not valid; DEL releases and may repeat', async () => {
    assert.equal((await run('ADD', conf(), { CNI_CONTAINERID: 'c2' })).code, 0);
    const gc = await run('GC', { ...conf('1.1.0'), 'cni.dev/valid-attachments': [{ containerID: 'c1', ifname: 'eth0' }] }, { CNI_CONTAINERID: '', CNI_NETNS: '', CNI_IFNAME: '' });
    assert.equal(gc.code, 0, gc.stdout);
    assert.equal(factory.clients[1]!.released, true);
    assert.equal(factory.clients[0]!.released, false);
    assert.equal((await run('DEL', conf())).code, 0);
    assert.equal(factory.clients[0]!.released, true);
    assert.equal((await run('DEL', conf())).code, 0);
  });

  it('STATUS is fine while the daemon answers', async () => {
    const status = await run('STATUS', conf('1.1.0'), { CNI_CONTAINERID: '', CNI_NETNS: '', CNI_IFNAME: '' });
    assert.equal(status.code, 0, status.stdout);
  });

  it('without a daemon: STATUS says 50, ADD says try again later (11) with the reference message', async () => {
    const gone = join(dir, 'nobody.sock');
    const status = await run('STATUS', conf('1.1.0', { daemonSocketPath: gone }), { CNI_CONTAINERID: '', CNI_NETNS: '', CNI_IFNAME: '' });
    assert.equal(status.code, 1);
    assert.equal(status.json?.['code'], 50);
    assert.match(String(status.json?.['msg']), /does not answer: dial unix .*nobody\.sock: connect: no such file or directory/);
    const add = await run('ADD', conf('1.0.0', { daemonSocketPath: gone }));
    assert.equal(add.json?.['code'], 11);
    assert.match(String(add.json?.['msg']), /^error dialing DHCP daemon: dial unix/);
  });

  it('a failed acquire is the daemon reason, and bad config is code 7', async () => {
    factory.failWith = new Error('no more tries');
    try {
      const add = await run('ADD', conf(), { CNI_CONTAINERID: 'c9' });
      assert.equal(add.code, 1);
      assert.match(String(add.json?.['msg']), /error calling DHCP.Allocate: error acquiring a lease for c9\/dnet\/eth0: no more tries/);
    } finally {
      delete factory.failWith;
    }
    const bad = await run('ADD', conf('1.0.0', { request: [{ option: 'nonsense' }] }));
    assert.equal(bad.json?.['code'], 7);
    assert.doesNotMatch(bad.stdout, /at .*\.js/);
  });
});
