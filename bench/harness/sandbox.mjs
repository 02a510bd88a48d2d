// Everything the benchmark creates, under one prefix unique to the run (`tscnib-<pid>-`):
// named network namespaces (the "host" namespace each driver runs in, and fresh container
// namespaces), a temporary directory for host-local stores and result caches, and the
// driver processes. Bridges, veths and netfilter rules live inside the host namespaces,
// so removing those removes them: the machine's own namespace is never touched.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const PREFIX = 'tscnib-';
const NETNS_DIR = '/run/netns';

function alive(pid) {
  return existsSync(`/proc/${pid}`);
}

function ip(args) {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim() || r.error?.message}`);
}

/**
 * Removes what earlier runs left behind when they died without cleaning up: namespaces and
 * temporary directories with our prefix whose run's process is gone.
 *
 * @example removeLeftovers() // ['tscnib-4711-h-go-ref', ...]
 */
export function removeLeftovers() {
  const removed = [];
  const stale = (name) => {
    const m = new RegExp(`^${PREFIX}(\\d+)-`).exec(name);
    return m !== null && Number(m[1]) !== process.pid && !alive(Number(m[1]));
  };
  for (const name of existsSync(NETNS_DIR) ? readdirSync(NETNS_DIR) : []) {
    if (stale(name)) {
      spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
      removed.push(name);
    }
  }
  for (const name of readdirSync(tmpdir())) {
    if (stale(name)) {
      rmSync(join(tmpdir(), name), { recursive: true, force: true });
      removed.push(name);
    }
  }
  return removed;
}

/**
 * A line-protocol driver process (bench/go-driver or bench/node-driver.mjs) running inside
 * its own host namespace.
 */
export class Driver {
  constructor(label, netns, argv, env) {
    this.label = label;
    this.netns = netns;
    this.nextId = 1;
    this.pending = new Map();
    this.stderr = '';
    this.child = spawn('ip', ['netns', 'exec', netns, ...argv], { stdio: ['pipe', 'pipe', 'pipe'], env });
    this.child.stderr.on('data', (d) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
    this.exited.then(({ code, signal }) => {
      for (const { reject } of this.pending.values()) {
        reject(new Error(`driver ${label} exited (${signal ?? code}): ${this.stderr.trim()}`));
      }
      this.pending.clear();
    });
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      let msg;
      try {
        msg = JSON.parse(line);
      } catch {
        return;
      }
      const p = this.pending.get(msg.id);
      if (p) {
        this.pending.delete(msg.id);
        p.resolve(msg);
      }
    });
  }

  /** Sends one request and waits for its answer. @example await d.request({ op: 'add', ... }) */
  request(body) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.stdin.write(`${JSON.stringify({ ...body, id })}\n`);
    });
  }

  /** Asks the driver to quit; kills it (by its pid) if it does not within a second. */
  async close() {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.stdin.end(`${JSON.stringify({ op: 'quit', id: 0 })}\n`);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 1000);
    await this.exited;
    clearTimeout(timer);
  }

  killNow() {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/**
 * The run's namespaces, temporary directory and drivers, all removed by `cleanup()` (also
 * on SIGINT/SIGTERM and on exit).
 *
 * @example const sb = new Sandbox(); try { const ns = sb.netns('c1') } finally { await sb.cleanup() }
 */
export class Sandbox {
  constructor() {
    this.prefix = `${PREFIX}${process.pid}-`;
    this.dir = mkdtempSync(join(tmpdir(), this.prefix));
    this.namespaces = new Set();
    this.drivers = [];
    this.servers = [];
    this.counter = 0;
    this.done = false;
    const onSignal = (sig) => {
      this.cleanupSync();
      process.exit(sig === 'SIGINT' ? 130 : 143);
    };
    this.signalHandlers = { SIGINT: () => onSignal('SIGINT'), SIGTERM: () => onSignal('SIGTERM') };
    process.on('SIGINT', this.signalHandlers.SIGINT);
    process.on('SIGTERM', this.signalHandlers.SIGTERM);
    this.exitHandler = () => this.cleanupSync();
    process.on('exit', this.exitHandler);
  }

  /** A fresh named namespace; returns its name and path. @example sb.netns('c') // { name, path } */
  netns(tag) {
    const name = `${this.prefix}${tag}${this.counter++}`;
    ip(['netns', 'add', name]);
    this.namespaces.add(name);
    return { name, path: `${NETNS_DIR}/${name}` };
  }

  /** Deletes one of the run's namespaces (its veth ends go with it). */
  delNetns(name) {
    if (!this.namespaces.delete(name)) return;
    spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
  }

  /** Starts a driver in a host namespace of its own (loopback up, as on a node). */
  driver(label, argv, env) {
    const host = this.netns(`h-${label}-`);
    ip(['-n', host.name, 'link', 'set', 'lo', 'up']);
    const d = new Driver(label, host.name, argv, env);
    this.drivers.push(d);
    return d;
  }

  /**
   * Starts a tscni-server in the namespaces of a driver (`ip netns exec` gave it a network and
   * a mount namespace of its own; the server must share both, or it refuses the driver's
   * plugins), listening at `socket`. Resolves once it listens.
   *
   * @example const s = await sb.server(driver, 'dist/plugins/tscni-server', '/tmp/x/s.sock'); s.peakRssMB()
   */
  async server(driver, program, socket) {
    const pid = driver.child.pid;
    // Until `ip netns exec` has made the driver's namespaces and exec'd the driver itself.
    const ipExe = readlinkSync(`/proc/${pid}/exe`);
    for (let i = 0; i < 500 && alive(pid) && readlinkSync(`/proc/${pid}/exe`) === ipExe; i++) await new Promise((r) => setTimeout(r, 10));
    const child = spawn('nsenter', ['-t', String(pid), '-n', '-m', program, '-socket', socket], { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: process.env.PATH } });
    let log = '';
    child.stderr.on('data', (d) => (log = (log + d.toString()).slice(-4000)));
    const exited = new Promise((resolve) => child.on('exit', resolve));
    this.servers.push(child);
    for (let i = 0; i < 500 && !log.includes('listening on') && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 10));
    if (!log.includes('listening on')) throw new Error(`tscni-server for ${driver.label} did not start: ${log.trim()}`);
    return {
      socket,
      log: () => log,
      /** The server's peak resident set so far (VmHWM), in MB. */
      peakRssMB: () => {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        return m ? Number(m[1]) / 1024 : undefined;
      },
      stop: async () => {
        child.kill('SIGTERM');
        await exited;
      },
    };
  }

  cleanupSync() {
    if (this.done) return;
    this.done = true;
    for (const s of this.servers) if (s.exitCode === null && s.signalCode === null) s.kill('SIGKILL');
    for (const d of this.drivers) d.killNow();
    for (const name of this.namespaces) spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
    this.namespaces.clear();
    rmSync(this.dir, { recursive: true, force: true });
    process.off('SIGINT', this.signalHandlers.SIGINT);
    process.off('SIGTERM', this.signalHandlers.SIGTERM);
    process.off('exit', this.exitHandler);
  }

  async cleanup() {
    await Promise.all(this.drivers.map((d) => d.close().catch(() => d.killNow())));
    this.cleanupSync();
  }
}
