/**
 * tuning's sysctls: which file a key names (only under /proc/sys/net/, `IFNAME` standing for
 * CNI_IFNAME), the administrator's allow-list, and writing them inside the container's
 * namespace with the old values kept so that a failed ADD can put them back.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { posix } from 'node:path';
import { CniError, ErrorCode } from '@tscni/spec/errors';
import { goErrnoText } from '@tscni/spec/errno';
import { goQuote } from '@tscni/spec/gojson';

/** The reference's allow-list: when the file exists, only the sysctls it matches may be set. */
export const ALLOWLIST_FILE = '/etc/cni/tuning/allowlist.conf';

/**
 * The /proc/sys file of a key: every `.` becomes `/`, then the first `IFNAME` becomes the
 * interface name (in this order, so that names like `eth0.100` survive). Keys that leave
 * /proc/sys/net/ are refused with the reference's message (code 7).
 *
 * @example sysctlFile('net.ipv4.conf.IFNAME.arp_filter', 'eth0.100') // '/proc/sys/net/ipv4/conf/eth0.100/arp_filter'
 */
export function sysctlFile(key: string, ifName: string): string {
  const path = key.replaceAll('.', '/').replace('IFNAME', ifName);
  // Go's filepath.Join cleans the path: `..` is resolved and no trailing slash stays.
  const file = posix.normalize(`/proc/sys/${path}`).replace(/(.)\/+$/, '$1');
  if (!file.startsWith('/proc/sys/net/')) throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid net sysctl key: ${goQuote(path)}`);
  return file;
}

/** A file operation's failure in Go's words (`open /proc/sys/net/x: no such file or directory`). */
export function fileErrorText(e: unknown, op: string, file: string): string {
  const err = e as NodeJS.ErrnoException;
  const why = (err.code && goErrnoText(err.code)) ?? err.message;
  return `${err.syscall ?? op} ${err.path ?? file}: ${why}`;
}

/** A Go regexp as a JS one: a leading `(?flags)` group becomes JS flags, the rest is alike. */
function goRegExp(pattern: string): RegExp {
  const m = /^\(\?([ims]+)\)/.exec(pattern);
  try {
    return m ? new RegExp(pattern.slice(m[0].length), m[1]) : new RegExp(pattern);
  } catch (e) {
    throw new CniError(ErrorCode.Internal, `error parsing regexp in ${ALLOWLIST_FILE}: ${goQuote(pattern)}: ${(e as Error).message}`);
  }
}

/**
 * The allow-list's patterns (trimmed non-empty lines), or undefined when there is no file.
 *
 * @example readAllowlist('/etc/cni/tuning/allowlist.conf') // ['^net\\.core\\.somaxconn$']
 */
export function readAllowlist(file: string = ALLOWLIST_FILE): string[] | undefined {
  if (!existsSync(file)) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new CniError(ErrorCode.Internal, fileErrorText(e, 'open', file));
  }
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

/**
 * Refuses (code 7, the reference's message) a key that no pattern matches anywhere in it.
 * Keys are matched as written, before `IFNAME` is replaced.
 *
 * @example checkAllowed(['net.core.somaxconn'], ['^net\\.core\\.']) // passes
 */
export function checkAllowed(keys: readonly string[], allowlist: readonly string[] | undefined): void {
  if (allowlist === undefined) return;
  const patterns = allowlist.map(goRegExp);
  for (const key of keys) {
    if (!patterns.some((re) => re.test(key))) {
      throw new CniError(ErrorCode.InvalidNetworkConfig, `Sysctl ${key} is not allowed. Only the following sysctls are allowed: [${allowlist.join(' ')}]`);
    }
  }
}

/** A sysctl written by ADD, with what it held before (undefined for a write-only one). */
export interface WrittenSysctl {
  file: string;
  before: string | undefined;
}

function currentValue(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').replace(/\n$/, '');
  } catch {
    return undefined;
  }
}

/**
 * Writes each value (no trailing newline, as the reference) in the calling thread's
 * namespace, in the given order; on a failure the ones written are put back before the error
 * (the reference's words, code 999) is thrown.
 *
 * @example withNetNS(ns, () => writeSysctls([['/proc/sys/net/core/somaxconn', '512']]))
 */
export function writeSysctls(values: readonly [file: string, value: string][]): WrittenSysctl[] {
  const written: WrittenSysctl[] = [];
  for (const [file, value] of values) {
    const before = currentValue(file);
    try {
      writeFileSync(file, value);
      written.push({ file, before });
    } catch (e) {
      restoreSysctls(written);
      throw new CniError(ErrorCode.Internal, fileErrorText(e, 'open', file));
    }
  }
  return written;
}

/**
 * Puts written sysctls back, newest first, as far as the kernel lets it.
 *
 * @example restoreSysctls(writeSysctls(values))
 */
export function restoreSysctls(written: readonly WrittenSysctl[]): void {
  for (const w of [...written].reverse()) {
    if (w.before === undefined) continue;
    try {
      writeFileSync(w.file, w.before);
    } catch {
      // The value may have been refused for good; the others still go back.
    }
  }
}

/**
 * A sysctl's current value without its trailing newline, or the reference's read error (999).
 *
 * @example readSysctlFile('/proc/sys/net/core/somaxconn') // '4096'
 */
export function readSysctlFile(file: string): string {
  try {
    return readFileSync(file, 'utf8').replace(/\n$/, '');
  } catch (e) {
    throw new CniError(ErrorCode.Internal, fileErrorText(e, 'open', file));
  }
}
