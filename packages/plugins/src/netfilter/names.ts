/**
 * Chain names and rule comments exactly as the reference plugins format them
 * (pkg/utils FormatChainName/FormatComment, pkg/ip's nftables masquerade comment): a node can
 * only switch between the Go plugins and these if both find each other's rules by name.
 */
import { createHash } from 'node:crypto';
import { goQuote } from '@tscni/spec/gojson';

function sha512Hex(s: string): string {
  // Go hashes the string's UTF-8 bytes; Node's update(string) encodes UTF-8 as well.
  return createHash('sha512').update(s, 'utf8').digest('hex');
}

/**
 * `(prefix + lowercase hex sha512(s))` cut to `length` characters; the reference's
 * MustFormatHashWithPrefix, including its refusal of a prefix that leaves no room for the hash
 * and of lengths beyond the 128 hex digits.
 *
 * @example formatHashWithPrefix(16, '', 'unit-test') // '6fd94d501e58f0aa'
 */
export function formatHashWithPrefix(length: number, prefix: string, s: string): string {
  if (!Number.isInteger(length) || length > 128) {
    throw new RangeError(`invalid length ${length}: the hash has at most 128 characters`);
  }
  if (prefix.length >= length) {
    throw new RangeError(`invalid prefix ${JSON.stringify(prefix)}: it leaves no room for the hash in ${length} characters`);
  }
  return (prefix + sha512Hex(s)).slice(0, length);
}

/** iptables chain names are limited to 28 characters; the reference uses all of them. */
const MAX_CHAIN_LENGTH = 28;

/**
 * The per-container chain name: `CNI-` + sha512(name + id), 28 characters.
 *
 * @example formatChainName('test', '1234') // 'CNI-2bbe0c48b91a7d1b8a6753a8'
 */
export function formatChainName(name: string, id: string): string {
  return formatChainNameWithPrefix(name, id, '');
}

/**
 * A chain name with a sub-prefix after `CNI-` (portmap's `DN-`, `SN-`), 28 characters.
 *
 * @example formatChainNameWithPrefix('ptpnet', 'p2', 'DN-') // 'CNI-DN-ee4b2e7c1655fdef64802'
 */
export function formatChainNameWithPrefix(name: string, id: string, prefix: string): string {
  return formatHashWithPrefix(MAX_CHAIN_LENGTH, 'CNI-' + prefix, name + id);
}

/**
 * The iptables rule comment the reference puts on per-container rules: Go's
 * `fmt.Sprintf("name: %q id: %q", name, id)`.
 *
 * @example formatComment('mynet', 'ctr1') // 'name: "mynet" id: "ctr1"'
 */
export function formatComment(name: string, id: string): string {
  return `name: ${goQuote(name)} id: ${goQuote(id)}`;
}

/** Go's strconv.Quote (the `%q` verb), shared with the spec package. */
export { goQuote };

/**
 * The hash that starts the nftables masquerade comment of every rule of one network.
 *
 * @example masqNetworkHash('unit-test') // '6fd94d501e58f0aa'
 */
export function masqNetworkHash(network: string): string {
  return formatHashWithPrefix(16, '', network);
}

/**
 * The hash that starts the nftables masquerade comment of one attachment; teardown finds the
 * rules by this prefix alone, so it needs no IP address.
 *
 * @example masqInstanceHash('unit-test', 'eth0', 'one') // '6fd94d501e58f0aa-287fc69eff0574a2'
 */
export function masqInstanceHash(network: string, ifname: string, containerID: string): string {
  return masqNetworkHash(network) + '-' + formatHashWithPrefix(16, '', ifname + ':' + containerID);
}

/** knftables.CommentLengthMax. */
const NFT_COMMENT_MAX_BYTES = 128;

/**
 * The nftables masquerade rule comment: instance hash and a readable description with `"`
 * removed, cut to 128 bytes.
 *
 * @example masqComment('unit-test', 'eth0', 'one')
 * // '6fd94d501e58f0aa-287fc69eff0574a2, net: unit-test, if: eth0, id: one'
 */
export function masqComment(network: string, ifname: string, containerID: string): string {
  const strip = (s: string) => s.replaceAll('"', '');
  const comment = `${masqInstanceHash(network, ifname, containerID)}, net: ${strip(network)}, if: ${strip(ifname)}, id: ${strip(containerID)}`;
  return truncateUtf8(comment, NFT_COMMENT_MAX_BYTES);
}

/**
 * Cuts `s` to at most `maxBytes` UTF-8 bytes. Go cuts bytes blindly; a character split there
 * would not survive nft's JSON, so a partial last character is dropped instead.
 *
 * @example truncateUtf8('héllo', 2) // 'h'
 */
export function truncateUtf8(s: string, maxBytes: number): string {
  const bytes = Buffer.from(s, 'utf8');
  if (bytes.length <= maxBytes) return s;
  let end = maxBytes;
  // Back up over continuation bytes (10xxxxxx) to the start of the split character.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}
