/**
 * IP prefixes as text (`10.1.0.0/24`, `fd00::/64`) and as the (bytes, length) pairs that
 * route and rule messages carry. Text is canonical (inet_ntop) so that a decoded prefix
 * compares equal to what a caller wrote in canonical form and to what `ip` prints.
 */
import { ipBytes, ipText } from './values.js';

/** A prefix split into its parts; `family` follows the address (4 or 6). */
export interface IpPrefix {
  readonly address: string;
  readonly length: number;
  readonly family: 4 | 6;
}

/**
 * Splits `10.1.0.0/24` or `fd00::/64`; a bare address is a host prefix (/32, /128).
 * Host bits are kept: the kernel, not this parser, decides whether they are allowed.
 *
 * @example parsePrefix('FD00::1/64') // { address: 'fd00::1', length: 64, family: 6 }
 */
export function parsePrefix(text: string): IpPrefix {
  const slash = text.indexOf('/');
  const addressText = slash < 0 ? text : text.slice(0, slash);
  const lengthText = slash < 0 ? undefined : text.slice(slash + 1);
  const bytes = ipBytes(addressText);
  const bits = bytes.length * 8;
  const length = lengthText === undefined ? bits : Number(lengthText);
  if ((lengthText !== undefined && !/^\d{1,3}$/.test(lengthText)) || length > bits) {
    throw new TypeError(`invalid IP prefix ${JSON.stringify(text)}`);
  }
  return { address: ipText(bytes), length, family: bytes.length === 4 ? 4 : 6 };
}

/**
 * The canonical text of an address and a length.
 *
 * @example formatPrefix(Uint8Array.of(10, 1, 0, 0), 24) // '10.1.0.0/24'
 */
export function formatPrefix(address: Uint8Array, length: number): string {
  return `${ipText(address)}/${length}`;
}

/**
 * The prefix that matches everything in a family: what a message without a destination means.
 *
 * @example anyPrefix(6) // '::/0'
 */
export function anyPrefix(family: 4 | 6): string {
  return family === 4 ? '0.0.0.0/0' : '::/0';
}
