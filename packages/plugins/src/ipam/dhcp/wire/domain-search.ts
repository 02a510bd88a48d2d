/**
 * Option 119, the domain search list (RFC 3397): domain names in DNS wire format (RFC 1035
 * 3.1), with message compression pointers relative to the start of the (joined) option value.
 */
import { DhcpWireError } from './ipv4.js';

/** At most this many pointers are followed per name: a loop is an error, not a hang. */
const MAX_POINTERS = 128;

function readName(value: Uint8Array, start: number): { name: string; next: number } {
  const labels: string[] = [];
  let i = start;
  let next = -1;
  let jumps = 0;
  for (;;) {
    if (i >= value.length) throw new DhcpWireError('domain search: a name runs past the end of the option');
    const len = value[i]!;
    if (len === 0) {
      if (next < 0) next = i + 1;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      if (i + 1 >= value.length) throw new DhcpWireError('domain search: a compression pointer is cut off');
      if (++jumps > MAX_POINTERS) throw new DhcpWireError('domain search: compression pointers loop');
      const target = ((len & 0x3f) << 8) | value[i + 1]!;
      if (next < 0) next = i + 2;
      // Pointers may only point backwards, which also rules out loops through later names.
      if (target >= i) throw new DhcpWireError(`domain search: a compression pointer at ${i} points forward to ${target}`);
      i = target;
      continue;
    }
    if (len & 0xc0) throw new DhcpWireError(`domain search: label length byte 0x${len.toString(16)} is reserved`);
    if (i + 1 + len > value.length) throw new DhcpWireError('domain search: a label runs past the end of the option');
    labels.push(Buffer.from(value.subarray(i + 1, i + 1 + len)).toString('latin1'));
    i += 1 + len;
  }
  return { name: labels.join('.'), next };
}

/**
 * The names of an option 119 value, in order.
 *
 * @example decodeDomainSearch(Uint8Array.of(3, 101, 110, 103, 0)) // ['eng']
 */
export function decodeDomainSearch(value: Uint8Array): string[] {
  const names: string[] = [];
  let i = 0;
  while (i < value.length) {
    const { name, next } = readName(value, i);
    names.push(name);
    i = next;
  }
  return names;
}

/**
 * The option 119 value for `names`, compressed: a name's longest suffix already written is
 * replaced by a pointer to it.
 *
 * @example encodeDomainSearch(['eng.apple.com', 'marketing.apple.com'])
 */
export function encodeDomainSearch(names: readonly string[]): Uint8Array {
  const out: number[] = [];
  const written = new Map<string, number>();
  for (const name of names) {
    const labels = name.replace(/\.$/, '').split('.').filter((l) => l.length > 0);
    let k = 0;
    for (; k < labels.length; k++) {
      const suffix = labels.slice(k).join('.');
      const at = written.get(suffix);
      if (at !== undefined) {
        out.push(0xc0 | (at >> 8), at & 0xff);
        break;
      }
      if (out.length < 0x4000) written.set(suffix, out.length);
      const bytes = Buffer.from(labels[k]!, 'latin1');
      if (bytes.length > 63) throw new DhcpWireError(`domain search: label "${labels[k]}" is longer than 63 bytes`);
      out.push(bytes.length, ...bytes);
    }
    if (k === labels.length) out.push(0);
  }
  return Uint8Array.from(out);
}
