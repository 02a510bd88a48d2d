/**
 * The host's addresses of a device lent to a container. Moving a link to another namespace
 * makes the kernel drop its addresses, so ADD writes them to a small state file before the
 * move and DEL (or a failed ADD) puts them back once the device is home again.
 *
 * Only addresses the host configured are kept: those with an infinite lifetime (the kernel's
 * "permanent"), IPv4 and IPv6, any scope, except IPv6 link-local (fe80::/10), which the kernel
 * makes again by itself. Addresses with a lifetime belong to a DHCP client or to router
 * advertisements, which acquire them again.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { addAddr, listAddrs, type AddrFlagName, type Address } from '@tscni/netlink/rtnl/addr';
import { isExists, isNotFound } from '@tscni/netlink/rtnl/errors';
import { getLink, listLinks, setLink, type Link } from '@tscni/netlink/rtnl/link';
import type { RtnlSocket } from '@tscni/netlink/rtnl/socket';

/** Where the state files live unless the config's `dataDir` says otherwise. */
export const DEFAULT_DATA_DIR = '/run/cni/host-device';

/** Flags that are configuration (as `ip addr add ... nodad` sets them), not kernel state. */
const CONFIG_FLAGS: readonly AddrFlagName[] = ['nodad', 'noprefixroute', 'managetempaddr', 'mcautojoin', 'homeaddress', 'optimistic'];

export interface SavedAddress {
  address: string;
  prefixLength: number;
  peer?: string;
  broadcast?: string;
  label?: string;
  scope: number;
  flags: AddrFlagName[];
}

/** The device as the host had it: enough to recognise it when the kernel hands it back. */
export interface SavedDevice {
  name: string;
  mac?: string;
  index: number;
  addresses: SavedAddress[];
}

/**
 * The state file of one attachment.
 *
 * @example statePath('/run/cni/host-device', 'ctr1', 'eth0') // '/run/cni/host-device/ctr1-eth0.json'
 */
export function statePath(dataDir: string, containerID: string, ifName: string): string {
  return join(dataDir, `${containerID}-${ifName}.json`);
}

function hostConfigured(a: Address): boolean {
  return a.flags.permanent && !(a.family === 6 && /^fe[89ab][0-9a-f]:/.test(a.address));
}

/**
 * The host-configured addresses of `dev`, primaries before secondaries as the kernel lists them.
 *
 * @example savedDevice(rt, link) // { name: 'ens5', mac: '…', index: 3, addresses: [{ address: '10.0.0.5', prefixLength: 24, … }] }
 */
export function savedDevice(rt: RtnlSocket, dev: Link): SavedDevice {
  const addresses = listAddrs(rt, { link: dev.index })
    .filter(hostConfigured)
    .map((a): SavedAddress => {
      const s: SavedAddress = { address: a.address, prefixLength: a.prefixLength, scope: a.scope, flags: CONFIG_FLAGS.filter((f) => a.flags[f]) };
      if (a.peer !== undefined) s.peer = a.peer;
      if (a.broadcast !== undefined) s.broadcast = a.broadcast;
      // The default label is the device's name, which the move changes; only others are kept.
      if (a.label !== undefined && a.label !== dev.name) s.label = a.label;
      return s;
    });
  return { name: dev.name, ...(dev.mac === undefined ? {} : { mac: dev.mac }), index: dev.index, addresses };
}

/**
 * Writes the state file atomically (a temporary file renamed over it).
 *
 * @example writeSaved(statePath(dir, 'ctr1', 'eth0'), savedDevice(rt, link))
 */
export function writeSaved(path: string, saved: SavedDevice): void {
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
    const temp = `${path}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify(saved), { mode: 0o600 });
    renameSync(temp, path);
  } catch (e) {
    throw new Error(`failed to save the addresses of ${JSON.stringify(saved.name)} to ${path}: ${(e as Error).message}`, { cause: e });
  }
}

function isSavedDevice(v: unknown): v is SavedDevice {
  const d = v as SavedDevice;
  return typeof v === 'object' && v !== null && typeof d.name === 'string' && typeof d.index === 'number' && Array.isArray(d.addresses);
}

/**
 * The state file's content; undefined when there is none. A file that is not a saved device
 * counts as none: DEL must stay retryable, and such a file cannot restore anything.
 *
 * @example readSaved(statePath(dir, 'ctr1', 'eth0'))?.addresses.length // 2
 */
export function readSaved(path: string): SavedDevice | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`failed to read the saved addresses ${path}: ${(e as Error).message}`, { cause: e });
  }
  try {
    const v: unknown = JSON.parse(text);
    return isSavedDevice(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** @example dropSaved(statePath(dir, 'ctr1', 'eth0')) */
export function dropSaved(path: string): void {
  rmSync(path, { force: true });
}

/**
 * The saved device in the calling namespace, after the kernel returned it on its own (its
 * namespace was deleted): under its own name, or still under the container's name with its
 * own name in the alias, which is then put back. Either way its MAC or index must match, so
 * that another device that took the name is left alone.
 *
 * @example returnedDevice(rt, saved, 'eth0')?.name // 'ens5'
 */
export function returnedDevice(rt: RtnlSocket, saved: SavedDevice, ifName: string): Link | undefined {
  const same = (l: Link): boolean => (saved.mac !== undefined && l.mac === saved.mac) || l.index === saved.index;
  const links = listLinks(rt);
  const home = links.find((l) => l.name === saved.name);
  if (home !== undefined) return same(home) ? home : undefined;
  const lent = links.find((l) => l.name === ifName && l.alias === saved.name && same(l));
  if (lent === undefined) return undefined;
  try {
    setLink(rt, lent.index, { name: saved.name, alias: '' });
  } catch {
    // Its addresses still go back; the name stays the container's.
  }
  return getLink(rt, lent.index);
}

/**
 * Adds the saved addresses to `dev` again; those it has already are left as they are.
 *
 * @example restoreAddresses(rt, getLink(rt, 'ens5'), saved.addresses)
 */
export function restoreAddresses(rt: RtnlSocket, dev: Link, addresses: readonly SavedAddress[]): void {
  for (const a of addresses) {
    try {
      addAddr(rt, dev.index, {
        address: a.address,
        prefixLength: a.prefixLength,
        ...(a.peer === undefined ? {} : { peer: a.peer }),
        broadcast: a.broadcast ?? false,
        ...(a.label === undefined ? {} : { label: a.label }),
        scope: a.scope,
        flags: Object.fromEntries(a.flags.map((f) => [f, true])),
      });
    } catch (e) {
      if (isExists(e)) continue;
      throw new Error(`failed to restore address ${a.address}/${a.prefixLength} on ${JSON.stringify(dev.name)}: ${(e as Error).message}`, { cause: e });
    }
  }
}

/**
 * The device under `name` in the calling namespace, or undefined when there is none.
 *
 * @example linkNamed(rt, 'ens5')?.index // 3
 */
export function linkNamed(rt: RtnlSocket, name: string): Link | undefined {
  try {
    return getLink(rt, name);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}
