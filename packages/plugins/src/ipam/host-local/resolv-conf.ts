/**
 * The DNS part of host-local's result, read from a resolv.conf as the reference's
 * parseResolvConf reads it.
 */
import { readFileSync } from 'node:fs';
import { goErrnoText } from '@tscni/spec/errno';
import type { DNS } from '@tscni/spec/result-types';
import { referenceError } from './config.js';

/**
 * DNS settings from resolv.conf text: `nameserver` adds its first field, the last `domain`
 * wins, `search` and `options` add all their fields; `#` and `;` start comments.
 *
 * @example parseResolvConfText('nameserver 8.8.8.8\nsearch a.com b.com\n') // { nameservers: ['8.8.8.8'], search: ['a.com', 'b.com'] }
 */
export function parseResolvConfText(text: string): DNS {
  const dns: DNS = {};
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const fields = line.split(/\s+/);
    if (fields.length < 2) continue;
    const [key, first] = [fields[0]!, fields[1]!];
    if (key === 'nameserver') (dns.nameservers ??= []).push(first);
    else if (key === 'domain') dns.domain = first;
    else if (key === 'search') (dns.search ??= []).push(...fields.slice(1));
    else if (key === 'options') (dns.options ??= []).push(...fields.slice(1));
  }
  return dns;
}

/**
 * Reads a resolv.conf file; a file that cannot be read fails with the reference's message.
 *
 * @example readResolvConf('/etc/resolv.conf').nameservers
 */
export function readResolvConf(path: string): DNS {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    throw referenceError(`open ${path}: ${goErrnoText(code) ?? (e as Error).message}`);
  }
  return parseResolvConfText(text);
}
