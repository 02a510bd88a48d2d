/**
 * Ranges and range sets as the reference's allocator package has them: canonicalisation with
 * its defaults (gateway and rangeStart at network + 1, rangeEnd at the last address before the
 * IPv4 broadcast), membership, overlap, and the `<start>-<end>` text its messages use. Errors
 * carry the reference's wording; the caller adds where they happened.
 */
import { cmpAddr, familyBits, formatAddr, nextAddr, type Addr } from './addr.js';

/** A subnet as written: the address with its host bits and the mask's width. */
export interface Subnet {
  ip: Addr;
  prefix: number;
  /** 32 for a dotted-quad CIDR, 128 for one written in IPv6 notation. */
  maskBits: 32 | 128;
}

/** A range as configured; every field but the subnet may be absent. */
export interface RangeInput {
  subnet?: Subnet;
  rangeStart?: Addr;
  rangeEnd?: Addr;
  gateway?: Addr;
}

/** A canonical range: every address filled in and checked. */
export interface Range {
  subnet: Subnet;
  rangeStart: Addr;
  rangeEnd: Addr;
  gateway: Addr;
}

export type RangeSet = Range[];

function hostMask(s: Subnet): bigint {
  return (1n << BigInt(s.maskBits - s.prefix)) - 1n;
}

function subnetText(s: Subnet): string {
  return `${formatAddr(s.ip)}/${s.prefix}`;
}

function inSubnet(s: Subnet, a: Addr): boolean {
  return a.family === s.ip.family && (a.value & ~hostMask(s)) === (s.ip.value & ~hostMask(s));
}

/** Go's Range.Contains, which also works on a range still being canonicalised. */
function contains(r: RangeInput & { subnet: Subnet }, a: Addr): boolean {
  if (!inSubnet(r.subnet, a)) return false;
  if (r.rangeStart && cmpAddr(a, r.rangeStart) < 0) return false;
  if (r.rangeEnd && cmpAddr(a, r.rangeEnd) > 0) return false;
  return true;
}

/**
 * Checks a configured range and fills in its defaults, as the reference's Range.Canonicalize.
 *
 * @example canonicalizeRange({ subnet: { ip: parseAddr('10.0.0.0')!, prefix: 24, maskBits: 32 } }).rangeEnd // 10.0.0.254
 */
export function canonicalizeRange(input: RangeInput): Range {
  const subnet = input.subnet;
  if (!subnet) throw new Error('IP <nil> not v4 nor v6');
  if (subnet.prefix > subnet.maskBits - 2) throw new Error(`Network ${subnetText(subnet)} too small to allocate from`);
  if (familyBits(subnet.ip.family) !== subnet.maskBits) throw new Error('IPNet IP and Mask version mismatch');
  const network: Addr = { family: subnet.ip.family, value: subnet.ip.value & ~hostMask(subnet) };
  if (network.value !== subnet.ip.value) {
    throw new Error(`Network has host bits set. For a subnet mask of length ${subnet.prefix} the network address is ${formatAddr(network)}`);
  }
  const r: RangeInput & { subnet: Subnet } = { ...input, subnet };
  const gateway = input.gateway ?? nextAddr(network);
  if (input.rangeStart && !contains(r, input.rangeStart)) {
    throw new Error(`RangeStart ${formatAddr(input.rangeStart)} not in network ${subnetText(subnet)}`);
  }
  const rangeStart = input.rangeStart ?? nextAddr(network);
  r.rangeStart = rangeStart;
  if (input.rangeEnd && !contains(r, input.rangeEnd)) {
    throw new Error(`RangeEnd ${formatAddr(input.rangeEnd)} not in network ${subnetText(subnet)}`);
  }
  // The last address; IPv4 keeps the broadcast address out.
  const last = network.value | hostMask(subnet);
  const rangeEnd = input.rangeEnd ?? { family: network.family, value: network.family === 4 ? last - 1n : last };
  return { subnet, rangeStart, rangeEnd, gateway };
}

/** Whether the range holds the address (inside the subnet, between start and end). @example rangeContains(r, ip) */
export function rangeContains(r: Range, a: Addr): boolean {
  return contains(r, a);
}

/** The range as its messages print it. @example rangeText(r) // '10.0.0.2-10.0.0.254' */
export function rangeText(r: Range): string {
  return `${formatAddr(r.rangeStart)}-${formatAddr(r.rangeEnd)}`;
}

/** Go's Range.Overlaps. @example rangesOverlap(a, b) */
export function rangesOverlap(a: Range, b: Range): boolean {
  if (a.rangeStart.family !== b.rangeStart.family) return false;
  return contains(a, b.rangeStart) || contains(a, b.rangeEnd) || contains(b, a.rangeStart) || contains(b, a.rangeEnd);
}

/**
 * Canonicalises every range of a set and checks the set: not empty, one family, no overlaps.
 *
 * @example canonicalizeRangeSet([{ subnet }, { subnet: other }]).length // 2
 */
export function canonicalizeRangeSet(inputs: readonly RangeInput[]): RangeSet {
  if (inputs.length === 0) throw new Error('empty range set');
  const set = inputs.map(canonicalizeRange);
  if (set.some((r) => r.rangeStart.family !== set[0]!.rangeStart.family)) throw new Error('mixed address families');
  for (let i = 0; i < set.length; i++) {
    for (let j = i + 1; j < set.length; j++) {
      if (rangesOverlap(set[i]!, set[j]!)) throw new Error(`subnets ${rangeText(set[i]!)} and ${rangeText(set[j]!)} overlap`);
    }
  }
  return set;
}

/** The range of the set holding the address, or undefined. @example rangeFor(set, ip)?.gateway */
export function rangeFor(set: RangeSet, a: Addr): Range | undefined {
  return set.find((r) => contains(r, a));
}

/** The set as its messages print it. @example rangeSetText(set) // '10.44.0.2-10.44.0.3,10.45.0.1-10.45.0.2' */
export function rangeSetText(set: RangeSet): string {
  return set.map(rangeText).join(',');
}

/** Whether any range of one set overlaps any of the other. @example rangeSetsOverlap(a, b) */
export function rangeSetsOverlap(a: RangeSet, b: RangeSet): boolean {
  return a.some((r) => b.some((r1) => rangesOverlap(r, r1)));
}
