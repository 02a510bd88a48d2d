/**
 * sysctl through /proc/sys, read and written in the calling thread's namespace (use
 * withNetNS to reach a container's). Names follow the reference's rule: `net.ipv4.ip_forward`
 * and `net/ipv4/ip_forward` both work, and a dot after the first slash stays (`eth0.100`).
 */
import { readFileSync, writeFileSync } from 'node:fs';

/**
 * The /proc/sys path of a sysctl name: when a `.` comes before any `/`, dots and slashes are
 * swapped (the reference's rule), otherwise the name is a path already.
 *
 * @example sysctlPath('net.ipv4.conf.eth0/100.rp_filter') // '/proc/sys/net/ipv4/conf/eth0.100/rp_filter'
 */
export function sysctlPath(name: string): string {
  const dot = name.indexOf('.');
  const slash = name.indexOf('/');
  const swapped = dot >= 0 && (slash < 0 || dot < slash) ? name.replace(/[./]/g, (c) => (c === '.' ? '/' : '.')) : name;
  return `/proc/sys/${swapped.replace(/^\/+/, '')}`;
}

/**
 * Reads a sysctl; the value without its trailing newline.
 *
 * @example readSysctl('net.ipv4.ip_forward') // '1'
 */
export function readSysctl(name: string): string {
  return readFileSync(sysctlPath(name), 'utf8').replace(/\n$/, '');
}

/**
 * Writes a sysctl (no trailing newline, as the reference writes it).
 *
 * @example writeSysctl('net.ipv6.conf.eth0.accept_ra', '0')
 */
export function writeSysctl(name: string, value: string): void {
  writeFileSync(sysctlPath(name), value);
}

/**
 * Writes a sysctl only when its value differs (ip_forward and disable_ipv6 are written
 * this way by the reference, so that a read-only /proc/sys with the right value is fine).
 *
 * @example ensureSysctl('net.ipv4.ip_forward', '1')
 */
export function ensureSysctl(name: string, value: string): void {
  let current: string | undefined;
  try {
    current = readSysctl(name);
  } catch {
    current = undefined;
  }
  if (current !== value) writeSysctl(name, value);
}
