/**
 * Random names (veth peers, scratch files) from the kernel's generator, read directly: the
 * `crypto` module costs a plugin process about 4 ms to load, which a veth name does not need.
 */
import { closeSync, openSync, readSync } from 'node:fs';

/**
 * `bytes` random bytes from /dev/urandom as lower-case hex.
 *
 * @example randomHex(4) // '88ac9740'
 */
export function randomHex(bytes: number): string {
  const buf = Buffer.alloc(bytes);
  const fd = openSync('/dev/urandom', 'r');
  try {
    let got = 0;
    while (got < bytes) got += readSync(fd, buf, got, bytes - got, null);
  } finally {
    closeSync(fd);
  }
  return buf.toString('hex');
}
