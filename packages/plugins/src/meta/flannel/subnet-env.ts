/**
 * flannel's `subnet.env`: the node's share of the overlay, written by flanneld. Read as the
 * reference reads it: line by line, each line split at its first `=`, no trimming, quoting
 * or comments, unknown keys (and lines without `=` that are not a known key) ignored.
 *
 * Unlike the reference, which panics on a known key without `=` and names neither file nor
 * line for a bad CIDR or MTU, every malformed line is a config error (code 7) naming the file
 * and the line number, with the reference's own words for what is wrong.
 */
import { readFileSync } from 'node:fs';
import { goErrnoText } from '@tscni/spec/errno';
import { CniError, ErrorCode } from '@tscni/spec/errors';
import { goQuote } from '@tscni/spec/gojson';
import { formatCIDR, parseCIDR, toIPv4 } from '@tscni/spec/ip';

/** Where flanneld writes the file unless the config's `subnetFile` says otherwise. */
export const DEFAULT_SUBNET_FILE = '/run/flannel/subnet.env';

/** What the file says, networks and subnets with their host bits cleared. */
export interface SubnetEnv {
  /** FLANNEL_NETWORK: the cluster's IPv4 networks, duplicates dropped. */
  networks: string[];
  /** FLANNEL_SUBNET: this node's IPv4 pod subnet. */
  subnet?: string;
  /** FLANNEL_IPV6_NETWORK. */
  ip6Networks: string[];
  /** FLANNEL_IPV6_SUBNET. */
  ip6Subnet?: string;
  /** FLANNEL_MTU. */
  mtu: number;
  /** FLANNEL_IPMASQ: whether flanneld masquerades itself (only the exact text `true`). */
  ipMasq: boolean;
}

const KEYS = ['FLANNEL_NETWORK', 'FLANNEL_SUBNET', 'FLANNEL_IPV6_NETWORK', 'FLANNEL_IPV6_SUBNET', 'FLANNEL_MTU', 'FLANNEL_IPMASQ'] as const;
type Key = (typeof KEYS)[number];

const isKey = (s: string): s is Key => (KEYS as readonly string[]).includes(s);

/** A problem with one line; `line` is 1-based. */
export class SubnetEnvLineError extends Error {
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`line ${line}: ${reason}`);
    this.name = 'SubnetEnvLineError';
  }
}

/** The file lacks required keys; `missing` is the reference's list (`FLANNEL_MTU, FLANNEL_IPMASQ`). */
export class SubnetEnvMissingError extends Error {
  constructor(readonly missing: string) {
    super(`missing ${missing}`);
    this.name = 'SubnetEnvMissingError';
  }
}

/** Go's net.ParseCIDR: the network with host bits cleared, in Go's text. */
function network(text: string): string | undefined {
  const c = parseCIDR(text);
  if (!c) return undefined;
  const ip = Uint8Array.from(c.ip);
  // An IPv4-mapped address counts its prefix from byte 12, as Go's 16-byte mask does.
  const bits = c.prefix + (ip.length === 16 && toIPv4(ip) ? 96 : 0);
  for (let i = 0; i < ip.length; i++) ip[i]! &= (0xff << (8 - Math.max(0, Math.min(8, bits - i * 8)))) & 0xff;
  return formatCIDR({ ip, prefix: c.prefix });
}

/** Go's strconv.ParseUint(s, 10, 32), with its error text. */
function parseUint32(s: string): number {
  if (s === '') throw new Error(`strconv.ParseUint: parsing ${goQuote(s)}: invalid syntax`);
  let n = 0;
  for (const ch of s) {
    if (ch < '0' || ch > '9') throw new Error(`strconv.ParseUint: parsing ${goQuote(s)}: invalid syntax`);
    n = n * 10 + (ch.charCodeAt(0) - 48);
    // Go stops at the first overflow, before looking at later characters.
    if (n > 0xffffffff) throw new Error(`strconv.ParseUint: parsing ${goQuote(s)}: value out of range`);
  }
  return n;
}

function networks(value: string): string[] {
  const out: string[] = [];
  for (const item of value.split(',')) {
    const nw = network(item);
    if (nw === undefined) throw new Error(`invalid CIDR address: ${item}`);
    if (!out.includes(nw)) out.push(nw);
  }
  return out;
}

function subnet(value: string): string {
  const nw = network(value);
  if (nw === undefined) throw new Error(`invalid CIDR address: ${value}`);
  return nw;
}

/**
 * The keys of a subnet.env text. Throws SubnetEnvLineError for a malformed line and
 * SubnetEnvMissingError when a required key is absent (at least one network and one
 * subnet of either family, FLANNEL_MTU and FLANNEL_IPMASQ).
 *
 * @example parseSubnetEnv('FLANNEL_NETWORK=10.1.0.0/16\nFLANNEL_SUBNET=10.1.17.1/24\nFLANNEL_MTU=1472\nFLANNEL_IPMASQ=true\n').subnet // '10.1.17.0/24'
 */
export function parseSubnetEnv(text: string): SubnetEnv {
  let nws: string[] = [];
  let ip6Nws: string[] = [];
  let sn: string | undefined;
  let ip6Sn: string | undefined;
  let mtu: number | undefined;
  let ipMasq: boolean | undefined;
  // Go's bufio.ScanLines: lines end at \n, a \r before it is dropped, no empty last line.
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const eq = line.indexOf('=');
    const key = eq < 0 ? line : line.slice(0, eq);
    if (!isKey(key)) return;
    if (eq < 0) throw new SubnetEnvLineError(i + 1, `${key} has no "=" and no value`);
    const value = line.slice(eq + 1);
    try {
      switch (key) {
        case 'FLANNEL_NETWORK':
          nws = networks(value);
          break;
        case 'FLANNEL_SUBNET':
          sn = subnet(value);
          break;
        case 'FLANNEL_IPV6_NETWORK':
          ip6Nws = networks(value);
          break;
        case 'FLANNEL_IPV6_SUBNET':
          ip6Sn = subnet(value);
          break;
        case 'FLANNEL_MTU':
          mtu = parseUint32(value);
          break;
        case 'FLANNEL_IPMASQ':
          ipMasq = value === 'true';
          break;
      }
    } catch (e) {
      throw new SubnetEnvLineError(i + 1, `${key}: ${(e as Error).message}`);
    }
  });
  const missing: string[] = [];
  if (nws.length === 0 && ip6Nws.length === 0) missing.push('FLANNEL_NETWORK', 'FLANNEL_IPV6_NETWORK');
  if (sn === undefined && ip6Sn === undefined) missing.push('FLANNEL_SUBNET', 'FLANNEL_IPV6_SUBNET');
  if (mtu === undefined) missing.push('FLANNEL_MTU');
  if (ipMasq === undefined) missing.push('FLANNEL_IPMASQ');
  if (missing.length > 0) throw new SubnetEnvMissingError(missing.join(', '));
  const env: SubnetEnv = { networks: nws, ip6Networks: ip6Nws, mtu: mtu!, ipMasq: ipMasq! };
  if (sn !== undefined) env.subnet = sn;
  if (ip6Sn !== undefined) env.ip6Subnet = ip6Sn;
  return env;
}

function failure(code: number, what: string): CniError {
  return new CniError(code, `failed to load flannel 'subnet.env' file: ${what}. Check the flannel pod log for this node.`);
}

/**
 * Reads and parses `file`. A file that cannot be read fails as the reference does (code 999,
 * `open <file>: <reason>`); bad content is code 7 naming the file and, for a bad line, its number.
 *
 * @example loadSubnetEnv('/run/flannel/subnet.env').mtu // 1450
 */
export function loadSubnetEnv(file: string): SubnetEnv {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const reason = (code !== undefined ? goErrnoText(code) : undefined) ?? (e as Error).message;
    throw failure(ErrorCode.Internal, `open ${file}: ${reason}`);
  }
  try {
    return parseSubnetEnv(text);
  } catch (e) {
    if (e instanceof SubnetEnvLineError) throw failure(ErrorCode.InvalidNetworkConfig, `${file}:${e.line}: ${e.reason}`);
    if (e instanceof SubnetEnvMissingError) throw failure(ErrorCode.InvalidNetworkConfig, `${file} is missing ${e.missing}`);
    throw e;
  }
}
