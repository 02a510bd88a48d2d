/**
 * portmap's config (reference plugins/meta/portmap main.go parseConfig): the generic keys,
 * the backend and the options only one backend understands, the `portMappings` capability, and
 * the container addresses taken from the previous result. Checks run in the reference's order
 * and fail with its messages, as code 7 (the reference says 999).
 */
import { ConfigReader, parseConfig, type CmdArgs } from '@tscni/skel';
import { CniError, ErrorCode } from '@tscni/spec/errors';
import type { JsonValue } from '@tscni/spec/gojson';
import { formatIP, ipFamily, parseCIDR, parseIP, toIPv4 } from '@tscni/spec/ip';
import { toCurrentResult } from '@tscni/spec/result-convert';
import type { Result, Result100 } from '@tscni/spec/result-types';
import type { NetfilterBackend } from '../../netfilter/probe.js';

/** One `runtimeConfig.portMappings` entry (CONVENTIONS.md). */
export interface PortMapping {
  readonly hostPort: number;
  readonly containerPort: number;
  /** As given; iptables reads it without regard to case. */
  readonly protocol: string;
  /** `''` when absent. */
  readonly hostIP: string;
}

/** The container's address in one family, with the prefix length of its subnet. */
export interface ContainerNet {
  readonly family: 4 | 6;
  /** Go's net.IP.String(). */
  readonly ip: string;
  readonly prefix: number;
}

export interface PortMapConf {
  readonly name: string;
  readonly cniVersion: string;
  readonly backend: NetfilterBackend;
  readonly snat: boolean;
  readonly masqAll: boolean;
  /** 13 unless set; irrelevant with externalSetMarkChain. */
  readonly markMasqBit: number;
  readonly externalSetMarkChain: string | undefined;
  readonly conditionsV4: readonly string[] | undefined;
  readonly conditionsV6: readonly string[] | undefined;
  readonly portMappings: readonly PortMapping[];
  /** The previous result, undefined when there is none. */
  readonly prevResult: Result | undefined;
  /** The first IPv4 and first IPv6 address of the container interface. */
  readonly containerNets: readonly ContainerNet[];
}

/** Kubernetes uses bits 14 and 15, Calico 20 to 31. */
export const DEFAULT_MARK_BIT = 13;

/** Protocols with ports, the ones `--dport` (iptables) and `<proto> dport` (nft) know. */
const PORT_PROTOCOLS = ['tcp', 'udp', 'sctp', 'udplite', 'dccp'];

function invalid(msg: string): CniError {
  return new CniError(ErrorCode.InvalidNetworkConfig, msg);
}

/**
 * The reference's guess at a condition list's backend: iptables words start with `-` or `!`,
 * nft ones never do; an empty list (or an empty first word) says nothing.
 *
 * @example backendOfConditions(['-s', '10.0.0.0/8']) // 'iptables'
 */
export function backendOfConditions(conditions: readonly string[] | undefined): NetfilterBackend | undefined {
  const first = conditions?.[0];
  if (first === undefined || first === '') return undefined;
  return first[0] === '-' || first[0] === '!' ? 'iptables' : 'nftables';
}

/** A Go `%v` of a []string: `[a b]`. */
function goList(words: readonly string[]): string {
  return `[${words.join(' ')}]`;
}

/** A key of a mapping entry as Go's encoding/json finds it: without regard to case, the last one winning. */
function entryField(entry: { readonly [key: string]: JsonValue }, name: string): JsonValue | undefined {
  let found: JsonValue | undefined;
  for (const key of Object.keys(entry)) if (key.toLowerCase() === name.toLowerCase()) found = entry[key];
  return found;
}

function readPortMappings(c: ConfigReader): PortMapping[] {
  const list = c.get('runtimeConfig.portMappings');
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) c.fail('runtimeConfig.portMappings', 'expected an array');
  return (list as JsonValue[]).map((entry, i) => {
    const path = `runtimeConfig.portMappings.${i}`;
    if (entry === null) return { hostPort: 0, containerPort: 0, protocol: '', hostIP: '' };
    if (typeof entry !== 'object' || Array.isArray(entry)) c.fail(path, 'expected an object');
    const o = entry as { readonly [key: string]: JsonValue };
    const int = (name: string): number => {
      const v = entryField(o, name);
      if (v === undefined || v === null) return 0;
      if (typeof v !== 'number' || !Number.isInteger(v)) c.fail(`${path}.${name}`, `expected an integer, got ${JSON.stringify(v)}`);
      return v;
    };
    const str = (name: string): string => {
      const v = entryField(o, name);
      if (v === undefined || v === null) return '';
      if (typeof v !== 'string') c.fail(`${path}.${name}`, `expected a string, got ${JSON.stringify(v)}`);
      return v;
    };
    return { hostPort: int('hostPort'), containerPort: int('containerPort'), protocol: str('protocol'), hostIP: str('hostIP') };
  });
}

function checkMapping(pm: PortMapping, i: number): void {
  // The reference's checks and words first; the upper bound and the protocol and hostIP checks
  // are ours (the reference lets iptables fail on them, half-way through its rules).
  if (pm.containerPort <= 0 || pm.containerPort > 65535) throw invalid(`Invalid container port number: ${pm.containerPort}`);
  if (pm.hostPort <= 0 || pm.hostPort > 65535) throw invalid(`Invalid host port number: ${pm.hostPort}`);
  if (!PORT_PROTOCOLS.includes(pm.protocol.toLowerCase())) {
    throw invalid(`Invalid protocol ${JSON.stringify(pm.protocol)} in port mapping ${i}: expected one of ${PORT_PROTOCOLS.join(', ')}`);
  }
  if (pm.hostIP !== '' && !parseIP(pm.hostIP)) throw invalid(`Invalid host IP ${JSON.stringify(pm.hostIP)} in port mapping ${i}`);
}

/**
 * The container addresses portmap forwards to: per family, the first address of the previous
 * result whose interface is CNI_IFNAME inside a sandbox (addresses without an interface index,
 * or with one out of range, count too).
 *
 * @example containerNetsOf(prev, 'eth0') // [{ family: 4, ip: '10.22.0.2', prefix: 16 }]
 */
export function containerNetsOf(prev: Result100, ifName: string): ContainerNet[] {
  const out: ContainerNet[] = [];
  const ifaces = prev.interfaces ?? [];
  for (const ipc of prev.ips ?? []) {
    const c = parseCIDR(ipc.address);
    if (!c) continue;
    const family = ipFamily(c.ip);
    if (out.some((n) => n.family === family)) continue;
    const idx = ipc.interface;
    if (idx !== undefined && idx >= 0 && idx < ifaces.length) {
      const iface = ifaces[idx]!;
      if (iface.name !== ifName || !iface.sandbox) continue;
    }
    const v4 = toIPv4(c.ip);
    // An IPv4-mapped address is IPv4 to Go; its prefix then counts the last 32 bits.
    const prefix = v4 && c.ip.length === 16 ? Math.max(c.prefix - 96, 0) : c.prefix;
    out.push({ family, ip: formatIP(c.ip), prefix });
  }
  return out.sort((a, b) => a.family - b.family);
}

/** Iptables chain names: what iptables-restore takes as one word, 28 characters at most. */
const CHAIN_NAME = /^[^\s"'\\!-][^\s"'\\]{0,27}$/;

/**
 * Reads the config. `detectBackend` is asked only when the config names no backend.
 *
 * @example const conf = loadPortMapConf(args, () => defaultBackend())
 */
export function loadPortMapConf(args: CmdArgs, detectBackend: () => NetfilterBackend): PortMapConf {
  const raw = parseConfig(args.stdinData, (c) => ({
    backend: c.optionalString('backend'),
    snat: c.optionalBoolean('snat') ?? true,
    masqAll: c.boolean('masqAll', false),
    markMasqBit: c.has('markMasqBit') ? c.integer('markMasqBit') : undefined,
    externalSetMarkChain: c.optionalString('externalSetMarkChain'),
    conditionsV4: c.has('conditionsV4') ? c.stringArray('conditionsV4') : undefined,
    conditionsV6: c.has('conditionsV6') ? c.stringArray('conditionsV6') : undefined,
    portMappings: readPortMappings(c),
  }));
  const prevResult = args.prevResult;
  if (raw.markMasqBit !== undefined && raw.externalSetMarkChain !== undefined) throw invalid('Cannot specify externalSetMarkChain and markMasqBit');
  const markMasqBit = raw.markMasqBit ?? DEFAULT_MARK_BIT;
  if (markMasqBit < 0 || markMasqBit > 31) throw invalid('MasqMarkBit must be between 0 and 31');

  const specific: Record<NetfilterBackend, string[]> = { iptables: [], nftables: [] };
  if (raw.externalSetMarkChain !== undefined) specific.iptables.push('externalSetMarkChain');
  const b4 = backendOfConditions(raw.conditionsV4);
  if (b4) specific[b4].push('conditionsV4');
  const b6 = backendOfConditions(raw.conditionsV6);
  if (b6) specific[b6].push('conditionsV6');
  const backend = raw.backend ?? detectBackend();
  const wrong: NetfilterBackend = backend === 'iptables' ? 'nftables' : 'iptables';
  if (specific[wrong].length > 0) {
    throw invalid(`${backend} backend was requested but configuration contains ${wrong}-specific options ${goList(specific[wrong])}`);
  }
  if (backend !== 'iptables' && backend !== 'nftables') throw invalid(`unrecognized backend ${JSON.stringify(backend)}`);
  if (raw.externalSetMarkChain !== undefined && !CHAIN_NAME.test(raw.externalSetMarkChain)) {
    throw invalid(`Invalid externalSetMarkChain ${JSON.stringify(raw.externalSetMarkChain)}: not an iptables chain name`);
  }
  raw.portMappings.forEach(checkMapping);

  return {
    name: raw.name,
    cniVersion: raw.cniVersion,
    backend,
    snat: raw.snat,
    masqAll: raw.masqAll,
    markMasqBit,
    externalSetMarkChain: raw.externalSetMarkChain,
    conditionsV4: raw.conditionsV4,
    conditionsV6: raw.conditionsV6,
    portMappings: raw.portMappings,
    prevResult,
    containerNets: prevResult ? containerNetsOf(toCurrentResult(prevResult), args.ifName) : [],
  };
}
