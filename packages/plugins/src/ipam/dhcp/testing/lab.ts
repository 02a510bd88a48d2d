/**
 * A DHCP network for the dhcp plugin's end-to-end tests, all in scratch namespaces: the DHCP
 * client lab's server (dnsmasq on a bridge), and a "host" namespace where the plugins and the
 * daemon run, whose veth `dm0` to that bridge is the macvlan master; containers are further
 * scratch namespaces that get macvlans of `dm0`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { scratchNetns, type ScratchNetns } from '@tscni/netlink/testing/scratch-netns';
import { PLUGIN_DIR, pluginEnv, pluginOutcome, runPlugin, type PluginCall, type PluginOutcome } from '../../../testing/run-plugin.js';
import { dhcpClientLab, waitFor, type Dnsmasq } from '../client/dnsmasq-lab.js';

export { SERVER_IP } from '../client/dnsmasq-lab.js';
export type { Dnsmasq } from '../client/dnsmasq-lab.js';
export const SUBNET_PREFIX = '10.123.0.';

export interface Daemon {
  log(): string;
  /** SIGTERM (or the signal given), resolving with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  readonly process: ChildProcess;
}

export interface DhcpLab {
  host: ScratchNetns;
  server: ScratchNetns;
  dir: string;
  socket: string;
  startServer(extra?: readonly string[]): Promise<Dnsmasq>;
  startDaemon(flags?: readonly string[]): Promise<Daemon>;
  container(): ScratchNetns;
  /** The macvlan + dhcp config of the lab's network. */
  config(ipam?: object, cniVersion?: string): object;
  /** Runs a plugin in the host namespace. */
  run(name: string, call: Omit<PluginCall, 'hostNetns'>): PluginOutcome;
  /** Runs a plugin in the host namespace without blocking this process. */
  runAsync(name: string, call: Omit<PluginCall, 'hostNetns'>): Promise<PluginOutcome>;
  remove(): Promise<void>;
}

function collect(child: ChildProcess): () => string {
  let text = '';
  child.stdout?.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (text += d.toString()));
  return () => text;
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/**
 * @example const lab = dhcpLab(); try { ... } finally { await lab.remove(); }
 */
export function dhcpLab(): DhcpLab {
  const servers = dhcpClientLab();
  const { server, dir } = servers;
  const host = scratchNetns('tscni-dhcp-h-');
  const containers: ScratchNetns[] = [];
  const children: ChildProcess[] = [];
  const socket = join(dir, 'dhcp.sock');
  server.exec('ip', ['link', 'add', 'dsrv0', 'type', 'veth', 'peer', 'name', 'dm0', 'netns', host.name]);
  server.exec('ip', ['link', 'set', 'dsrv0', 'master', 'br0', 'up']);
  host.exec('ip', ['link', 'set', 'dm0', 'up']);

  const lab: DhcpLab = {
    host,
    server,
    dir,
    socket,
    startServer: (extra = []) => servers.startServer(extra),
    async startDaemon(flags = []) {
      const pidfile = join(dir, `daemon-${children.length}.pid`);
      const child = spawn('ip', ['netns', 'exec', host.name, join(PLUGIN_DIR, 'dhcp'), 'daemon', '-socketpath', socket, '-statedir', join(dir, 'state'), '-pidfile', pidfile, ...flags], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      const log = collect(child);
      await waitFor('the daemon pidfile', 10000, () => existsSync(pidfile) || child.exitCode !== null);
      if (child.exitCode !== null) throw new Error(`the daemon failed: ${log()}`);
      return {
        log,
        process: child,
        stop: async (signal = 'SIGTERM') => {
          child.kill(signal);
          return exited(child);
        },
      };
    },
    container() {
      const c = scratchNetns('tscni-dhcp-c-');
      containers.push(c);
      return c;
    },
    config(ipam = {}, cniVersion = '1.0.0') {
      return { cniVersion, name: 'dnet', type: 'macvlan', master: 'dm0', ipam: { type: 'dhcp', daemonSocketPath: socket, ...ipam } };
    },
    run(name, call) {
      return runPlugin(name, { ...call, hostNetns: host.name });
    },
    runAsync(name, call) {
      return new Promise((resolve) => {
        const child = spawn('ip', ['netns', 'exec', host.name, join(PLUGIN_DIR, name)], { env: pluginEnv(call), stdio: ['pipe', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('exit', (code) => resolve(pluginOutcome(code, stdout, stderr)));
        child.stdin.end(typeof call.config === 'string' ? call.config : JSON.stringify(call.config));
      });
    },
    async remove() {
      for (const child of children) {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGKILL');
          await exited(child);
        }
      }
      for (const c of containers) c.remove();
      host.remove();
      await servers.remove();
    },
  };
  return lab;
}
