/**
 * bandwidth's config (reference §4.2): rates in bits/s and bursts in bits, either as top-level
 * keys or in `runtimeConfig.bandwidth` (the `bandwidth` capability). Like the reference's
 * embedded Go struct, the presence of any top-level key (even null) selects the top-level
 * block and the runtime config is ignored. `shapedSubnets` / `unshapedSubnets` (upstream
 * v1.5.x) belong to the same block.
 */
import { parseConfig, type ConfigReader } from '@tscni/skel';
import { CniError, ErrorCode } from '@tscni/spec/errors';
import { parseCIDR } from '@tscni/spec/ip';
import type { JsonObject } from '@tscni/spec/gojson';

/** One bandwidth entry (CONVENTIONS.md): 0 means no limit in that direction. */
export interface BandwidthEntry {
  ingressRate: number;
  ingressBurst: number;
  egressRate: number;
  egressBurst: number;
  /** Only traffic to or from these subnets is shaped. */
  shapedSubnets: string[];
  /** Traffic to or from these subnets is not shaped. */
  unshapedSubnets: string[];
}

export interface BandwidthConf {
  name: string;
  cniVersion: string;
  /** The block in force, or undefined when neither the config nor the runtime gave one. */
  bandwidth: BandwidthEntry | undefined;
}

const KEYS = ['ingressRate', 'ingressBurst', 'egressRate', 'egressBurst', 'shapedSubnets', 'unshapedSubnets'] as const;
const MAX_UINT32 = 2 ** 32 - 1;

function hasKey(o: JsonObject, key: string): boolean {
  const lower = key.toLowerCase();
  return Object.keys(o).some((k) => k.toLowerCase() === lower);
}

function uint64(c: ConfigReader, path: string): number {
  return c.integer(path, { min: 0 }, 0);
}

function readEntry(c: ConfigReader, prefix: string): BandwidthEntry {
  const at = (key: string): string => (prefix === '' ? key : `${prefix}.${key}`);
  return {
    ingressRate: uint64(c, at('ingressRate')),
    ingressBurst: uint64(c, at('ingressBurst')),
    egressRate: uint64(c, at('egressRate')),
    egressBurst: uint64(c, at('egressBurst')),
    shapedSubnets: c.stringArray(at('shapedSubnets'), []),
    unshapedSubnets: c.stringArray(at('unshapedSubnets'), []),
  };
}

/**
 * The reference's rate/burst rule for one direction, or undefined when it holds.
 *
 * @example rateBurstError(1000, 0) // 'if rate is set, burst must also be set'
 */
export function rateBurstError(rate: number, burst: number): string | undefined {
  if (burst === 0 && rate !== 0) return 'if rate is set, burst must also be set';
  if (rate === 0 && burst !== 0) return 'if burst is set, rate must also be set';
  if (Math.floor(burst / 8) >= MAX_UINT32) return 'burst cannot be more than 4GB';
  return undefined;
}

function validateSubnets(bw: BandwidthEntry): string | undefined {
  if (bw.unshapedSubnets.length > 0 && bw.shapedSubnets.length > 0) {
    return 'unshapedSubnets and shapedSubnets cannot be both specified, one of them should be discarded';
  }
  for (const subnet of [...bw.unshapedSubnets, ...bw.shapedSubnets]) {
    if (parseCIDR(subnet) === undefined) return `bad subnet ${JSON.stringify(subnet)} provided, details invalid CIDR address: ${subnet}`;
  }
  return undefined;
}

/** Whether the entry limits nothing. @example isZero(entry) */
export function isZero(bw: BandwidthEntry): boolean {
  return bw.ingressRate === 0 && bw.ingressBurst === 0 && bw.egressRate === 0 && bw.egressBurst === 0;
}

/**
 * Parses and validates the request config; every failure is code 7.
 *
 * @example loadBandwidthConf(args.stdinData).bandwidth?.egressRate
 */
export function loadBandwidthConf(stdinData: Uint8Array | string): BandwidthConf {
  const conf = parseConfig(stdinData, (c) => {
    let bandwidth: BandwidthEntry | undefined;
    if (KEYS.some((k) => hasKey(c.raw, k))) bandwidth = readEntry(c, '');
    else if (c.has('runtimeConfig.bandwidth')) {
      c.object('runtimeConfig.bandwidth');
      bandwidth = readEntry(c, 'runtimeConfig.bandwidth');
    }
    return { bandwidth };
  });
  const bw = conf.bandwidth;
  if (bw !== undefined) {
    const problem = rateBurstError(bw.ingressRate, bw.ingressBurst) ?? rateBurstError(bw.egressRate, bw.egressBurst) ?? validateSubnets(bw);
    if (problem !== undefined) throw new CniError(ErrorCode.InvalidNetworkConfig, problem);
  }
  return { name: conf.name, cniVersion: conf.cniVersion, bandwidth: bw };
}
