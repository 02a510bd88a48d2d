/**
 * The daemon as a service manager runs it (the built executable, no DHCP traffic): readiness
 * through the pidfile and NOTIFY_SOCKET, socket activation, one daemon per socket, a stale
 * socket file taken over, clean exit on SIGTERM, Go's flag errors.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PLUGIN_DIR } from '../../../testing/run-plugin.js';
import { callDaemon } from '../daemon-client.js';
import { waitFor } from '../client/dnsmasq-lab.js';

const DHCP = join(PLUGIN_DIR, 'dhcp');

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('dhcp daemon process', () => {
  let dir: string;
  const children: ChildProcess[] = [];
  const start = (args: string[], options: { env?: NodeJS.ProcessEnv; stdio?: (string | number)[] } = {}): { child: ChildProcess; log: () => string } => {
    const child = spawn(DHCP, ['daemon', '-statedir', join(dir, 'state'), ...args], { env: options.env ?? process.env, stdio: (options.stdio ?? ['ignore', 'pipe', 'pipe']) as never });
    children.push(child);
    let text = '';
    child.stderr?.on('data', (d: Buffer) => (text += d.toString()));
    return { child, log: () => text };
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tscni-dhcpd-'));
  });
  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await Promise.all(children.map(exited));
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes its pidfile once it answers, refuses a second daemon, and cleans up on SIGTERM', async () => {
    const socket = join(dir, 'run', 'a.sock');
    const pidfile = join(dir, 'a.pid');
    const d = start(['-socketpath', socket, '-pidfile', pidfile]);
    await waitFor('the pidfile', 10_000, () => existsSync(pidfile));
    assert.equal(readFileSync(pidfile, 'utf8'), `${d.child.pid}\n`);
    assert.deepEqual(await callDaemon(socket, { method: 'status' }), { ok: true, leases: 0 });
    const second = start(['-socketpath', socket]);
    assert.equal(await exited(second.child), 1);
    assert.match(second.log(), /cannot listen: another DHCP daemon is listening on .*a\.sock/);
    d.child.kill('SIGTERM');
    assert.equal(await exited(d.child), 0);
    assert.equal(existsSync(socket), false);
    assert.equal(existsSync(pidfile), false);
  });

  it('takes over a socket file nobody listens on (a killed daemon leaves one)', async () => {
    const socket = join(dir, 'stale.sock');
    const d = start(['-socketpath', socket]);
    await waitFor('the socket', 10_000, () => existsSync(socket));
    d.child.kill('SIGKILL');
    await exited(d.child);
    assert.equal(existsSync(socket), true);
    const next = start(['-socketpath', socket, '-pidfile', join(dir, 'stale.pid')]);
    await waitFor('the pidfile', 10_000, () => existsSync(join(dir, 'stale.pid')));
    assert.deepEqual(await callDaemon(socket, { method: 'status' }), { ok: true, leases: 0 });
    next.child.kill('SIGINT');
    assert.equal(await exited(next.child), 0);
  });

  it('uses the socket a service manager passes (LISTEN_FDS) and tells NOTIFY_SOCKET it is ready', async () => {
    const socket = join(dir, 'activated.sock');
    const server: Server = createServer();
    await new Promise<void>((r) => server.listen(`${socket}.tmp`, r));
    const fd = (server as unknown as { _handle: { fd: number } })._handle.fd;
    const notify = join(dir, 'notify.sock');
    // Node has no unix datagram sockets: python listens for the notification.
    const listener = spawn('python3', ['-c', `import socket,sys\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\ns.bind(sys.argv[1])\nprint('bound',flush=True)\nprint(s.recv(4096).decode(),flush=True)`, notify], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(listener);
    let heard = '';
    listener.stdout!.on('data', (d: Buffer) => (heard += d.toString()));
    await waitFor('the notify listener', 5000, () => heard.startsWith('bound'));
    const d = start([], { env: { ...process.env, LISTEN_FDS: '1', NOTIFY_SOCKET: notify }, stdio: ['ignore', 'pipe', 'pipe', fd] });
    await waitFor('READY=1', 10_000, () => /READY=1/.test(heard));
    assert.match(heard, new RegExp(`MAINPID=${d.child.pid}`));
    // This process lets go of its copy; closing unlinks the path it listened on, so move it first.
    renameSync(`${socket}.tmp`, socket);
    server.close();
    assert.deepEqual(await callDaemon(socket, { method: 'status' }), { ok: true, leases: 0 });
    assert.match(d.log(), /listening on the socket passed by the service manager \(fd 3\)/);
    d.child.kill('SIGTERM');
    assert.equal(await exited(d.child), 0);
  });

  it('refuses unknown flags and bad durations as Go does (exit 2 with usage)', () => {
    const r = spawnSync(DHCP, ['daemon', '-timeout', 'soon'], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /invalid value "soon" for flag -timeout: time: invalid duration "soon"\nUsage of daemon:/);
    const u = spawnSync(DHCP, ['daemon', '-nope'], { encoding: 'utf8' });
    assert.equal(u.status, 2);
    assert.match(u.stderr, /flag provided but not defined: -nope/);
  });

  it('a plain `dhcp` without CNI_COMMAND still answers as a plugin', () => {
    writeFileSync(join(dir, 'x'), '');
    const r = spawnSync(DHCP, [], { encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '' } });
    assert.match(r.stderr, /CNI dhcp plugin/);
  });
});
