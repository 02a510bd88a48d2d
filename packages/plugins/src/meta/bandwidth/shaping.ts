/**
 * The numbers and names bandwidth puts into the kernel, computed exactly as the reference
 * does (float64 arithmetic, Go's conversions to uint32) so that `tc` shows the same values:
 * the tbf rate, buffer and limit, the ifb's name, and the u32 keys of a subnet.
 */
import { createHash } from 'node:crypto';
import { parseCIDR } from '@tscni/spec/ip';

/** The reference's fixed tbf latency. */
export const LATENCY_MS = 25;
const TIME_UNITS_PER_SEC = 1_000_000;

/** Go's float64 → uint32 conversion on amd64 (through int64, then the low 32 bits). */
function goUint32(x: number): number {
  if (!Number.isFinite(x) || Math.abs(x) >= 2 ** 63) return 0;
  return Number(BigInt.asUintN(32, BigInt(Math.trunc(x))));
}

/** What a tbf (or the shaped htb class) is given for one direction. */
export interface TbfParams {
  /** Bytes per second. */
  rate: number;
  /** psched ticks. */
  buffer: number;
  /** Bytes. */
  limit: number;
  /** Bytes. */
  burst: number;
}

/**
 * The tbf parameters of a rate in bits/s and a burst in bits, for a psched tick length.
 *
 * @example tbfParams(1_000_000, 100_000, 15.625) // { rate: 125000, burst: 12500, buffer: 1562500, limit: 15625 }
 */
export function tbfParams(rateBits: number, burstBits: number, tickInUsec: number): TbfParams {
  const rate = Math.floor(rateBits / 8);
  const burst = goUint32(Math.floor(burstBits / 8));
  const time = goUint32((burst * TIME_UNITS_PER_SEC) / rate);
  const buffer = goUint32(time * tickInUsec);
  const latency = TIME_UNITS_PER_SEC * (LATENCY_MS / 1000);
  const limit = (goUint32((rate * latency) / TIME_UNITS_PER_SEC) + burst) >>> 0;
  return { rate, burst, buffer, limit };
}

/**
 * The ifb of an attachment: `bwp` and the sha512 of network name and container ID, 15 chars.
 *
 * @example ifbName('mynet', 'ctr1') // 'bwp' + 12 hex digits
 */
export function ifbName(networkName: string, containerID: string): string {
  return `bwp${createHash('sha512').update(networkName + containerID).digest('hex')}`.slice(0, 15);
}

/** Which address of the IP header a subnet filter looks at. */
export type AddressField = 'src' | 'dst';

/** The u32 match of a subnet: ethertype, filter priority and keys (none: every packet of the family). */
export interface SubnetMatch {
  family: 4 | 6;
  keys: { mask: number; val: number; off: number }[];
}

/**
 * The u32 keys that match a subnet on the source or destination address, one per non-zero
 * 32-bit word of the mask (IPv4 addresses at offsets 12/16, IPv6 at 8/24).
 *
 * @example subnetMatch('10.0.0.0/8', 'dst') // { family: 4, keys: [{ mask: 0xff000000, val: 0x0a000000, off: 16 }] }
 */
export function subnetMatch(subnet: string, field: AddressField): SubnetMatch {
  const cidr = parseCIDR(subnet);
  if (cidr === undefined) throw new Error(`bad subnet ${JSON.stringify(subnet)}`);
  const bytes = cidr.ip.length === 4 ? 4 : 16;
  const family = bytes === 4 ? 4 : 6;
  const ip = cidr.ip.slice(cidr.ip.length - bytes);
  let offset = family === 4 ? (field === 'src' ? 12 : 16) : field === 'src' ? 8 : 24;
  const keys: SubnetMatch['keys'] = [];
  for (let word = 0; word < bytes / 4; word++, offset += 4) {
    const bitsHere = Math.max(0, Math.min(32, cidr.prefix - 32 * word));
    if (bitsHere === 0) continue;
    const mask = bitsHere === 32 ? 0xffffffff : ((0xffffffff << (32 - bitsHere)) >>> 0);
    const val = ((ip[4 * word]! << 24) | (ip[4 * word + 1]! << 16) | (ip[4 * word + 2]! << 8) | ip[4 * word + 3]!) >>> 0;
    keys.push({ mask, val: (val & mask) >>> 0, off: offset });
  }
  return { family, keys };
}
