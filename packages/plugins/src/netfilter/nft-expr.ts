/**
 * nftables rule expressions in libnftables' JSON form (`nft -j`), for the statements CNI
 * plugins use. A rule is an array of these; anything else can be written as plain JSON.
 */
import { formatAddress, maskBytes, parseCidr } from './addr.js';

/** A JSON value as `nft -j` reads and prints it. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** One statement or match of a rule, e.g. `{ masquerade: null }`. */
export type NftExpr = { readonly [key: string]: JsonValue };

/** Comparison operators of a match. */
export type NftOperator = '==' | '!=' | '<' | '>' | '<=' | '>=' | 'in';

/**
 * `<left> <op> <right>`.
 *
 * @example nftMatch(nftPayload('ip', 'saddr'), '==', '10.0.0.2') // ip saddr == 10.0.0.2
 */
export function nftMatch(left: JsonValue, op: NftOperator, right: JsonValue): NftExpr {
  return { match: { op, left, right } };
}

/**
 * A header field: `ip saddr`, `ip6 daddr`, `tcp dport`.
 *
 * @example nftPayload('ip6', 'daddr')
 */
export function nftPayload(protocol: string, field: string): JsonValue {
  return { payload: { protocol, field } };
}

/**
 * A meta key: `iifname`, `oifname`, `mark`, `nfproto`.
 *
 * @example nftMatch(nftMeta('iifname'), '==', 'veth1234')
 */
export function nftMeta(key: string): JsonValue {
  return { meta: { key } };
}

/**
 * An address as a match operand: a bare address for a host (`/32`, `/128` or none), else the
 * masked network as a prefix, as nft lists it back.
 *
 * @example nftAddress('192.168.1.4/24') // { prefix: { addr: '192.168.1.0', len: 24 } }
 */
export function nftAddress(cidr: string): JsonValue {
  const p = parseCidr(cidr);
  if (!p) throw new Error(`invalid IP address or CIDR ${JSON.stringify(cidr)}`);
  const addr = formatAddress(maskBytes(p.bytes, p.prefix));
  return p.prefix === p.bytes.length * 8 ? addr : { prefix: { addr, len: p.prefix } };
}

/**
 * A verdict statement.
 *
 * @example nftVerdict('return') // { return: null }
 */
export function nftVerdict(verdict: 'accept' | 'drop' | 'return' | 'continue'): NftExpr {
  return { [verdict]: null };
}

/**
 * `jump <chain>`.
 *
 * @example nftJump('cni-br-iface-c1-eth0')
 */
export function nftJump(target: string): NftExpr {
  return { jump: { target } };
}

/**
 * `goto <chain>`.
 *
 * @example nftGoto('masq_checks')
 */
export function nftGoto(target: string): NftExpr {
  return { goto: { target } };
}

/**
 * `masquerade`.
 *
 * @example [nftMatch(nftPayload('ip', 'saddr'), '==', '10.0.0.2'), nftMasquerade()]
 */
export function nftMasquerade(): NftExpr {
  return { masquerade: null };
}
