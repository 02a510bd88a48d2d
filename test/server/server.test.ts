/**
 * The plugin shim and the tscni server, for real: plugin names link to the native shim, which
 * answers VERSION itself, hands other commands to a running tscni-server (one warm Node
 * process) and otherwise execs the Node launcher. What a runtime sees must not depend on which
 * path ran the plugin, and no request may run twice or get lost.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RequestReader } from '@tscni/plugins/server/protocol';
import { addNetns, delNetns, hostLinks, repoRoot, uniqueName } from '../helpers/host.js';

const plugins = join(repoRoot, process.env['TSCNI_DIST'] ?? 'dist', 'plugins');
const PATH = process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin';

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a plugin (through the command `wrap` names, if any) with `stdin`; resolves when it exits. */
function exec(file: string, env: Record<string, string>, stdin: string, wrap: string[] = []): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const [cmd, ...args] = wrap.length ? [...wrap, file] : [file];
    const child = spawn(cmd!, args, { env: { PATH, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    // VERSION exits without reading stdin.
    child.stdin.on('error', () => {});
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

/** A tscni-server on a private socket, with its log. */
class RunningServer {
  readonly socket: string;
  log = '';
  private readonly proc: ChildProcess;
  private readonly exited: Promise<number | null>;

  /** `activated`: the listening socket's fd, passed as a service manager passes it (LISTEN_FDS). */
  constructor(dir: string, activated?: { socket: string; fd: number }) {
    this.socket = activated?.socket ?? join(dir, 'server.sock');
    this.proc = activated
      ? spawn(join(plugins, 'tscni-server'), ['-verbose'], { env: { PATH, LISTEN_FDS: '1' }, stdio: ['ignore', 'ignore', 'pipe', activated.fd] })
      : spawn(join(plugins, 'tscni-server'), ['-socket', this.socket, '-verbose'], { env: { PATH }, stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc.stderr!.on('data', (c: Buffer) => (this.log += c.toString()));
    this.exited = new Promise((resolve) => this.proc.on('exit', (code) => resolve(code)));
  }

  async ready(): Promise<void> {
    for (let i = 0; i < 200 && !this.log.includes('listening on'); i++) await new Promise((r) => setTimeout(r, 25));
    assert.match(this.log, /listening on .* for plugins of core [0-9a-f]{12}/);
  }

  /** The log once `re` matches `count` times in it (its lines reach this process after the plugins' answers). */
  async logged(re: RegExp, count = 1, since = 0): Promise<string> {
    const g = new RegExp(re.source, 'g');
    for (let i = 0; i < 100 && (this.log.slice(since).match(g)?.length ?? 0) < count; i++) await new Promise((r) => setTimeout(r, 20));
    return this.log.slice(since);
  }

  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null> {
    this.proc.kill('SIGTERM');
    return this.exited;
  }
}

const ptpConf = (name: string, subnet: string, dataDir: string, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ cniVersion: '1.0.0', name, type: 'ptp', ipam: { type: 'host-local', subnet, dataDir }, ...extra });

interface AddResult {
  interfaces: { name: string; mac: string; sandbox?: string }[];
  ips: { address: string; gateway: string; interface: number }[];
}

describe('the plugin shim and tscni-server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tscni-server-'));
  const namespaces: string[] = [];
  let server: RunningServer;
  const netns = (): string => {
    const n = uniqueName('tscni-srv-', 24);
    namespaces.push(n);
    return addNetns(n);
  };
  const cni = (command: string, id: string, ns: string, extra: Record<string, string> = {}): Record<string, string> => ({
    CNI_COMMAND: command,
    CNI_CONTAINERID: id,
    CNI_NETNS: ns,
    CNI_IFNAME: 'eth0',
    CNI_PATH: plugins,
    TSCNI_SERVER_SOCKET: server.socket,
    ...extra,
  });

  before(async () => {
    server = new RunningServer(dir);
    await server.ready();
  });

  after(async () => {
    await server.stop();
    for (const n of namespaces) delNetns(n);
    rmSync(dir, { recursive: true, force: true });
  });

  it('links every plugin name to the shim; tscni-server is the launcher', () => {
    const shim = spawnSync('file', [join(plugins, '.tscni-shim')], { encoding: 'utf8' }).stdout;
    assert.match(shim, /ELF/);
    const shimIno = statIno(join(plugins, '.tscni-shim'));
    for (const n of readdirSync(plugins).filter((f) => !f.startsWith('.') && f !== 'tscni-server')) assert.equal(statIno(join(plugins, n)), shimIno, n);
    assert.equal(statIno(join(plugins, 'tscni-server')), statIno(join(plugins, '.tscni')));
  });

  it('answers VERSION without a launcher beside it; any other command then is a CNI error saying what is missing', async () => {
    const alone = mkdtempSync(join(dir, 'alone-'));
    copyFileSync(join(plugins, '.tscni-shim'), join(alone, 'bridge'));
    const version = await exec(join(alone, 'bridge'), { CNI_COMMAND: 'VERSION' }, '');
    assert.equal(version.code, 0, version.stderr);
    assert.deepEqual(JSON.parse(version.stdout).supportedVersions, ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0']);
    const add = await exec(join(alone, 'bridge'), { CNI_COMMAND: 'ADD', TSCNI_SERVER_SOCKET: 'off' }, '{}');
    assert.equal(add.code, 1);
    assert.equal(add.stderr, '');
    const err = JSON.parse(add.stdout) as { code: number; msg: string };
    assert.equal(err.code, 999);
    assert.match(err.msg, /cannot run the plugins' launcher .*\/\.tscni: No such file or directory; reinstall/);
  });

  it('runs ptp ADD, CHECK and DEL with host-local in the server, with the results the plugins print in their own process', async () => {
    const data = join(dir, 'ipam-lifecycle');
    const conf = ptpConf('srv-life', '10.252.7.0/24', data);
    const [nsA, nsB] = [netns(), netns()];
    const before = server.log;
    const viaServer = await exec(join(plugins, 'ptp'), cni('ADD', 'srv-a', nsA), conf);
    assert.equal(viaServer.code, 0, viaServer.stdout + viaServer.stderr);
    const own = await exec(join(plugins, 'ptp'), cni('ADD', 'srv-b', nsB, { TSCNI_SERVER_SOCKET: 'off' }), conf);
    assert.equal(own.code, 0, own.stdout + own.stderr);
    const served = await server.logged(/ptp ADD srv-a eth0: exit 0 in [0-9.]+ ms/, 1, before.length);
    assert.match(served, /ptp ADD srv-a eth0: exit 0 in [0-9.]+ ms/);
    assert.doesNotMatch(served, /srv-b/);
    // host-local ran inside the same request, not as a second one.
    assert.doesNotMatch(served, /host-local/);

    // Same shape, byte for byte once the per-container values are masked.
    const mask = (s: string): string => s.replace(/"veth[0-9a-f]{8}"/g, '"VETH"').replace(/"([0-9a-f]{2}:){5}[0-9a-f]{2}"/g, '"MAC"').replace(/10\.252\.7\.\d+\/24/g, 'ADDR').replace(/\/run\/netns\/tscni-srv-[0-9a-f]+/g, 'NS');
    assert.equal(mask(viaServer.stdout), mask(own.stdout));
    const result = JSON.parse(viaServer.stdout) as AddResult;
    const hostVeth = result.interfaces[0]!.name;
    assert.ok(hostLinks().includes(hostVeth));

    const check = await exec(join(plugins, 'ptp'), cni('CHECK', 'srv-a', nsA), ptpConf('srv-life', '10.252.7.0/24', data, { prevResult: result }));
    assert.equal(check.code, 0, check.stdout + check.stderr);
    const badCheck = await exec(join(plugins, 'ptp'), cni('CHECK', 'srv-a', nsA), conf);
    assert.equal(badCheck.code, 1);
    assert.match(JSON.parse(badCheck.stdout).msg as string, /prevResult/);

    for (const [id, ns] of [['srv-a', nsA], ['srv-b', nsB]] as const) {
      const del = await exec(join(plugins, 'ptp'), cni('DEL', id, ns), conf);
      assert.equal(del.code, 0, del.stdout + del.stderr);
    }
    assert.match(await server.logged(/ptp DEL srv-a eth0/), /ptp CHECK srv-a eth0: exit 0.*\n.*ptp CHECK srv-a eth0: exit 1.*\n.*ptp DEL srv-a eth0: exit 0/);
    assert.ok(!hostLinks().includes(hostVeth));
    assert.deepEqual(readdirSync(join(data, 'srv-life')).filter((f) => f.startsWith('10.')), []);
  });

  it('leaves to the plugin its own process what the server would run differently: another mount namespace, another umask, no server', async () => {
    const conf = JSON.stringify({ cniVersion: '1.0.0', name: 'srv-lo', type: 'loopback' });
    const ns = netns();
    const before = server.log;
    const inMountNs = await exec(join(plugins, 'loopback'), cni('ADD', 'srv-mnt', ns), conf, ['unshare', '--mount']);
    assert.equal(inMountNs.code, 0, inMountNs.stdout + inMountNs.stderr);
    const umask = await exec(join(plugins, 'loopback'), cni('ADD', 'srv-umask', ns), conf, ['sh', '-c', 'umask 077; exec "$0"']);
    assert.equal(umask.code, 0, umask.stdout + umask.stderr);
    const none = await exec(join(plugins, 'loopback'), cni('ADD', 'srv-none', ns, { TSCNI_SERVER_SOCKET: join(dir, 'nobody.sock') }), conf);
    assert.equal(none.code, 0, none.stdout + none.stderr);
    assert.deepEqual(JSON.parse(none.stdout), JSON.parse(inMountNs.stdout));
    const log = await server.logged(/running a request's plugin in its own process/, 2, before.length);
    assert.match(log, /running a request's plugin in its own process: another mnt namespace/);
    assert.match(log, /running a request's plugin in its own process: another umask \(77, this server has 22\)/);
    assert.doesNotMatch(log, /loopback ADD/);
  });

  it('runs 20 ADDs sent at once concurrently: 20 distinct addresses, and the DELs leave no link and no reservation', async () => {
    const data = join(dir, 'ipam-burst');
    const conf = ptpConf('srv-burst', '10.252.8.0/24', data);
    const spaces = Array.from({ length: 20 }, () => netns());
    const adds = await Promise.all(spaces.map((ns, i) => exec(join(plugins, 'ptp'), cni('ADD', `burst-${i}`, ns), conf)));
    for (const a of adds) assert.equal(a.code, 0, a.stdout + a.stderr);
    const results = adds.map((a) => JSON.parse(a.stdout) as AddResult);
    const addrs = results.map((r) => r.ips[0]!.address);
    assert.equal(new Set(addrs).size, 20, addrs.join(' '));
    assert.equal((await server.logged(/ptp ADD burst-\d+ eth0: exit 0/, 20)).match(/ptp ADD burst-\d+ eth0: exit 0/g)?.length, 20, server.log);
    const dels = await Promise.all(spaces.map((ns, i) => exec(join(plugins, 'ptp'), cni('DEL', `burst-${i}`, ns), conf)));
    for (const d of dels) assert.equal(d.code, 0, d.stdout + d.stderr);
    const links = hostLinks();
    for (const r of results) assert.ok(!links.includes(r.interfaces[0]!.name), r.interfaces[0]!.name);
    assert.deepEqual(readdirSync(join(data, 'srv-burst')).filter((f) => f.startsWith('10.')), []);
  });

  it('serves on the socket a service manager passes (systemd socket activation)', async () => {
    const socket = join(dir, 'activated.sock');
    const listener = createServer();
    await new Promise<void>((r) => listener.listen(`${socket}.tmp`, r));
    const fd = (listener as unknown as { _handle: { fd: number } })._handle.fd;
    const activated = new RunningServer(dir, { socket, fd });
    try {
      await activated.ready();
      assert.match(activated.log, /listening on the socket passed by the service manager \(fd 3\)/);
      // This process lets go of its copy; closing unlinks the path it listened on, so move it first.
      renameSync(`${socket}.tmp`, socket);
      listener.close();
      const ns = netns();
      const add = await exec(join(plugins, 'loopback'), { ...cni('ADD', 'srv-act', ns), TSCNI_SERVER_SOCKET: socket }, JSON.stringify({ cniVersion: '1.0.0', name: 'srv-lo', type: 'loopback' }));
      assert.equal(add.code, 0, add.stdout + add.stderr);
      assert.match(await activated.logged(/loopback ADD srv-act eth0/), /loopback ADD srv-act eth0: exit 0/);
    } finally {
      assert.equal(await activated.stop(), 0);
    }
  });

  it('does not run a request whose shim went away after the server accepted it (no go-ahead)', async () => {
    const ns = netns();
    const core = readdirSync(plugins).find((f) => /^\.tscni-core-[0-9a-f]+\.cjs$/.exec(f))!.slice('.tscni-core-'.length, -'.cjs'.length);
    const ino = (kind: string): string => String(statSync(`/proc/self/ns/${kind}`, { bigint: true }).ino);
    const env = Object.entries(cni('ADD', 'srv-gone', ns)).map(([k, v]) => `${k}=${v}\0`).join('');
    const stdin = JSON.stringify({ cniVersion: '1.0.0', name: 'srv-lo', type: 'loopback' });
    const umask = process.umask();
    const head = `TSCNI1 ${core} ${ino('net')} ${ino('mnt')} ${ino('pid')} ${ino('user')} ${umask.toString(8)} ${Object.keys(cni('ADD', 'x', ns)).length} ${Buffer.byteLength(stdin)} loopback\n`;
    const answer = await new Promise<string>((resolve, reject) => {
      const sock = createConnection(server.socket, () => sock.write(head + env + stdin));
      sock.once('data', (d: Buffer) => {
        resolve(d.toString());
        sock.destroy();
      });
      sock.on('error', reject);
    });
    assert.equal(answer, 'A');
    await new Promise((r) => setTimeout(r, 300));
    // loopback ADD would have brought lo up.
    const lo = spawnSync('ip', ['-n', ns.slice('/run/netns/'.length), '-j', 'link', 'show', 'lo'], { encoding: 'utf8' }).stdout;
    assert.match(lo, /"operstate":"DOWN"/);
    assert.doesNotMatch(server.log, /srv-gone/);
  });

  it('is a CNI error when a network names it as its plugin', async () => {
    const r = await exec(join(plugins, 'tscni-server'), { CNI_COMMAND: 'ADD' }, '{}');
    assert.equal(r.code, 1);
    assert.match(JSON.parse(r.stdout).msg as string, /tscni-server is tscni's plugin server, not a CNI plugin/);
  });
});

/** A stand-in server that answers a shim as told, to see what the shim makes of it. */
async function standIn(path: string, answer: (socket: import('node:net').Socket, stage: 'request' | 'go') => void): Promise<Server> {
  const s = createServer((socket) => {
    const reader = new RequestReader();
    let got = false;
    socket.on('data', (chunk: Buffer) => {
      if (got) return answer(socket, 'go');
      if (reader.push(chunk)) {
        got = true;
        answer(socket, 'request');
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => s.listen(path, resolve));
  return s;
}

describe('the plugin shim against a server that misbehaves', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tscni-shim-'));
  const socket = join(dir, 's.sock');
  const env = (command: string): Record<string, string> => ({ CNI_COMMAND: command, CNI_CONTAINERID: 'x', CNI_IFNAME: 'eth0', CNI_PATH: plugins, TSCNI_SERVER_SOCKET: socket });
  // A cniVersion no plugin supports: whoever runs the plugin says so, with the version read from stdin.
  const conf = JSON.stringify({ cniVersion: '9.9.9', name: 'x', type: 'loopback' });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it("passes on the server's answer exactly: stdout, stderr, exit code", async () => {
    const s = await standIn(socket, (sock, stage) => (stage === 'request' ? sock.write('A') : sock.end('3 2 5\nokwarn\n')));
    try {
      const r = await exec(join(plugins, 'loopback'), env('DEL'), conf);
      assert.deepEqual(r, { code: 3, stdout: 'ok', stderr: 'warn\n' });
    } finally {
      s.close();
    }
  });

  it('runs the plugin itself, with the stdin it already read, when the server does not take the request', async () => {
    const s = await standIn(socket, (sock) => sock.destroy());
    try {
      const r = await exec(join(plugins, 'loopback'), env('DEL'), conf);
      assert.equal(r.code, 1);
      const err = JSON.parse(r.stdout) as { code: number; msg: string };
      assert.equal(err.code, 1);
      assert.match(JSON.stringify(err), /9\.9\.9/);
    } finally {
      s.close();
    }
  });

  it('does not run the plugin a second time when the server took the request and then died: a CNI error says so', async () => {
    const s = await standIn(socket, (sock, stage) => (stage === 'request' ? sock.write('A') : sock.destroy()));
    try {
      const r = await exec(join(plugins, 'loopback'), env('DEL'), conf);
      assert.equal(r.code, 1);
      const err = JSON.parse(r.stdout) as { code: number; msg: string };
      assert.equal(err.code, 999);
      assert.match(err.msg, /the tscni server ended before it answered .*may be partly done/);
    } finally {
      s.close();
    }
  });

  it('stops a served request at the end of its own server; plugins then run in their own process', async () => {
    const own = new RunningServer(dir);
    await own.ready();
    assert.ok(existsSync(own.socket));
    assert.equal(await own.stop(), 0);
    assert.ok(!existsSync(own.socket), 'socket removed');
    const r = await exec(join(plugins, 'loopback'), { ...env('DEL'), TSCNI_SERVER_SOCKET: own.socket }, conf);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /9\.9\.9/);
  });
});

function statIno(path: string): number {
  return statSync(path).ino;
}
