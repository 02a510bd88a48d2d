/**
 * Helpers of the portmap tests: chains of bridge or ptp + portmap in a sandbox, the host's
 * netfilter state as text, and a TCP server in a container with clients in other namespaces.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ScratchNetns } from '@tscni/netlink/testing/scratch-netns';
import type { ChainList } from '../../testing/chain.js';
import type { Sandbox } from '../../testing/sandbox.js';

export const NET = 'tscnipm';
export const BRIDGE = 'cni-pm0';
export const SUBNET4 = '10.87.0.0/24';
export const SUBNET6 = 'fd87::/64';

export interface ChainOptions {
  main: 'bridge' | 'ptp';
  backend?: 'iptables' | 'nftables';
  dualStack?: boolean;
  /** Extra portmap keys. */
  portmap?: Record<string, unknown>;
  cniVersion?: string;
}

/**
 * bridge (gateway, hairpin, no masquerade) or ptp with host-local, then portmap with the
 * `portMappings` capability.
 *
 * @example runChain(sb, chain(sb, { main: 'bridge' }), { command: 'ADD', runtimeConfig: { portMappings } })
 */
export function chain(sb: Sandbox, o: ChainOptions): ChainList {
  const ranges = [[{ subnet: SUBNET4 }], ...(o.dualStack ? [[{ subnet: SUBNET6 }]] : [])];
  const ipam = { type: 'host-local', ranges, dataDir: join(sb.dir, 'ipam') };
  const main = o.main === 'bridge' ? { type: 'bridge', bridge: BRIDGE, isGateway: true, hairpinMode: true, ipam } : { type: 'ptp', ipam };
  const portmap = { type: 'portmap', capabilities: { portMappings: true }, ...(o.backend ? { backend: o.backend } : {}), ...o.portmap };
  return { name: NET, cniVersion: o.cniVersion ?? '1.0.0', plugins: [main, portmap] };
}

/** iptables-save of both families without comments, counters and empty built-in chains. */
export function iptablesText(ns: ScratchNetns): string[] {
  const lines: string[] = [];
  for (const tool of ['iptables-save', 'ip6tables-save']) {
    lines.push(
      ...ns
        .exec(tool, [])
        .split('\n')
        .map((l) => l.replace(/ \[\d+:\d+\]$/, ''))
        .filter((l) => l.startsWith('-A ') || (l.startsWith(':') && l.endsWith(' -'))),
    );
  }
  return lines;
}

/** The nftables ruleset without handles. */
export function nftText(ns: ScratchNetns): string {
  return ns.exec('nft', ['list', 'ruleset']);
}

/** Everything on the host a portmap test may leave behind: rules, qdiscs, links, files. */
export interface HostState {
  iptables: string[];
  nft: string;
  qdiscs: string;
  links: string[];
  files: string[];
}

/**
 * @example assert.deepEqual(hostState(sb), before)
 */
export function hostState(sb: Sandbox): HostState {
  const links = JSON.parse(sb.host.exec('ip', ['-j', 'link', 'show'])) as { ifname: string }[];
  return {
    iptables: iptablesText(sb.host),
    nft: nftText(sb.host),
    qdiscs: sb.host.exec('tc', ['qdisc', 'show']),
    links: links.map((l) => l.ifname).sort(),
    // host-local keeps its lock, index and last reserved addresses; reservations must go.
    files: readdirSync(sb.dir, { recursive: true })
      .map(String)
      .filter((f) => !/(^|\/)(lock|\.tscni-index|last_reserved_ip\.\d+)$/.test(f))
      .sort(),
  };
}

/** The chains and rules every ADD leaves in place, as the reference does: shared by all containers. */
export function withoutSharedIptables(lines: readonly string[]): string[] {
  const shared = /CNI-HOSTPORT-(DNAT|SETMARK|MASQ)/;
  return lines.filter((l) => !shared.test(l));
}

/**
 * The ruleset without portmap's shared tables (kept as the reference keeps them) and without
 * iptables-nft's tables, which iptablesText shows.
 */
export function withoutPortmapTables(nft: string): string {
  return nft.replace(/(# Warning: [^\n]*\n)?table ip6? (cni_hostport|nat|filter|mangle|raw) \{[\s\S]*?\n\}\n?/g, '');
}

/** The rules of one container in the nft ruleset (by its comment). */
export function nftRulesOf(nft: string, containerID: string): string[] {
  return nft.split('\n').filter((l) => l.includes(`comment "${containerID}"`)).map((l) => l.trim());
}

/** A TCP server in a namespace that answers every connection with `reply`, closing it. */
export interface Server {
  stop(): void;
}

/**
 * Starts `node` in the namespace listening on every address at `port`; resolves once it listens.
 *
 * @example const srv = await startServer(sb.cont, 80, 'hello'); try { ... } finally { srv.stop() }
 */
export function startServer(ns: ScratchNetns, port: number, reply: string): Promise<Server> {
  const code = `const net=require('net');net.createServer({},(s)=>{s.end(${JSON.stringify(reply)}+':'+s.remoteAddress)}).listen(${port},'::',()=>console.log('ready'))`;
  const child: ChildProcess = spawn('ip', ['netns', 'exec', ns.name, process.execPath, '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const stop = () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error('server did not start'));
    }, 10_000);
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) {
        clearTimeout(timer);
        resolve({ stop });
      }
    });
    child.on('exit', () => {
      clearTimeout(timer);
      reject(new Error('server exited'));
    });
  });
}

/**
 * Connects from the namespace to host:port and returns what the server said, or the error.
 *
 * @example assert.match(connect(sb.host, '127.0.0.1', 8080), /^hello:/)
 */
export function connect(ns: ScratchNetns, host: string, port: number): string {
  const code = `const s=require('net').connect(${port},${JSON.stringify(host)});let d='';s.on('data',(b)=>d+=b);s.on('end',()=>{console.log(d);process.exit(0)});s.on('error',(e)=>{console.log('error: '+e.code);process.exit(0)});setTimeout(()=>{console.log('error: timeout');process.exit(0)},3000)`;
  const r = spawnSync('ip', ['netns', 'exec', ns.name, process.execPath, '-e', code], { encoding: 'utf8', timeout: 10_000 });
  return r.stdout.trim();
}
