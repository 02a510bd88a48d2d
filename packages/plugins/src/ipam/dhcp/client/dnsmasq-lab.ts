/**
 * A DHCP server for the client's tests, all in scratch namespaces: a server namespace with a
 * bridge holding 10.123.0.1/24 and dnsmasq on it (platform-notes section 5), and client
 * namespaces whose `eth0` is a veth to that bridge, left DOWN as a runtime would hand it over.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scratchNetns, type ScratchNetns } from '@tscni/netlink/testing/scratch-netns';

export const SERVER_IP = '10.123.0.1';
const BRIDGE = 'br0';

export interface Dnsmasq {
  log(): string;
  leases(): string;
  /** Resolves when the log matches `re` (rejects after `ms`). */
  waitLog(re: RegExp, ms?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface DhcpClientLab {
  server: ScratchNetns;
  dir: string;
  /** Starts dnsmasq with the lab's range and router plus `extra` flags. */
  startServer(extra?: readonly string[]): Promise<Dnsmasq>;
  /** A client namespace with `eth0` (DOWN) on the server's bridge. */
  client(): ScratchNetns;
  remove(): Promise<void>;
}

export function waitFor(what: string, ms: number, ready: () => boolean): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (ready()) return resolve();
      if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 20);
    };
    tick();
  });
}

/**
 * @example const lab = dhcpClientLab(); try { const srv = await lab.startServer(); ... } finally { await lab.remove(); }
 */
export function dhcpClientLab(): DhcpClientLab {
  const dir = mkdtempSync(join(tmpdir(), 'tscni-dhcpc-'));
  const server = scratchNetns('tscni-dhcpc-srv-');
  const clients: ScratchNetns[] = [];
  const servers: ChildProcess[] = [];
  server.exec('ip', ['link', 'add', BRIDGE, 'type', 'bridge']);
  server.exec('ip', ['addr', 'add', `${SERVER_IP}/24`, 'dev', BRIDGE]);
  server.exec('ip', ['link', 'set', BRIDGE, 'up']);
  let port = 0;
  return {
    server,
    dir,
    async startServer(extra = []) {
      const n = servers.length;
      const leaseFile = join(dir, `leases-${n}`);
      let output = '';
      const child = spawn(
        'ip',
        [
          'netns', 'exec', server.name, 'dnsmasq', '--no-daemon', '--conf-file=/dev/null', '--port=0', `--interface=${BRIDGE}`, '--bind-interfaces',
          '--no-ping', '--dhcp-range=10.123.0.50,10.123.0.99,255.255.255.0,2m', `--dhcp-option=3,${SERVER_IP}`, `--dhcp-leasefile=${leaseFile}`,
          `--pid-file=${join(dir, `pid-${n}`)}`, '--log-dhcp', '--log-facility=-', '--user=root', ...extra,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      servers.push(child);
      child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      const srv: Dnsmasq = {
        log: () => output,
        leases: () => (existsSync(leaseFile) ? readFileSync(leaseFile, 'utf8') : ''),
        waitLog: (re, ms = 10_000) => waitFor(`dnsmasq to log ${re}`, ms, () => re.test(output)),
        async stop() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          await exited;
        },
      };
      await waitFor('dnsmasq to start', 5000, () => /started|DHCP, IP range/.test(output) || child.exitCode !== null);
      if (child.exitCode !== null) throw new Error(`dnsmasq exited: ${output}`);
      return srv;
    },
    client() {
      const ns = scratchNetns('tscni-dhcpc-cli-');
      clients.push(ns);
      const peer = `dc${port++}${ns.name.slice(-6)}`;
      server.exec('ip', ['link', 'add', peer, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns.name]);
      server.exec('ip', ['link', 'set', peer, 'master', BRIDGE, 'up']);
      return ns;
    },
    async remove() {
      for (const child of servers) {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      }
      await Promise.all(servers.map((c) => (c.exitCode !== null || c.signalCode !== null ? undefined : new Promise((r) => c.once('exit', r)))));
      for (const ns of clients) ns.remove();
      server.remove();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
