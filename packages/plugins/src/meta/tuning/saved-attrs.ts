/**
 * The original link attributes tuning changes, saved by ADD and put back by DEL, in the
 * reference's file (`<dataDir>/<containerID>_<ifName>.json`, JSON indented by one space,
 * only the attributes about to change, keys in its order) so that either implementation
 * restores what the other saved.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigReader } from '@tscni/skel';
import { CniError, ErrorCode } from '@tscni/spec/errors';
import { parseJsonObject } from '@tscni/spec/gojson';
import { IFF_ALLMULTI, IFF_PROMISC } from '@tscni/netlink/rtnl/link-attrs';
import { setLink, type Link, type LinkChanges } from '@tscni/netlink/rtnl/link';
import type { RtnlSocket } from '@tscni/netlink/rtnl/socket';
import { describeErrno, SysError } from '@tscni/netlink/sys-error';
import { fileErrorText } from './sysctls.js';

/** Attribute values of one link; an absent key is one tuning leaves alone. */
export interface LinkAttrs {
  mac?: string;
  promisc?: boolean;
  mtu?: number;
  allmulti?: boolean;
  txQLen?: number;
}

/**
 * @example savedAttrsPath('/run/cni/tuning', 'ctr1', 'eth0') // '/run/cni/tuning/ctr1_eth0.json'
 */
export function savedAttrsPath(dataDir: string, containerID: string, ifName: string): string {
  return join(dataDir, `${containerID}_${ifName}.json`);
}

/**
 * The link's current values of the attributes in `wanted`.
 *
 * @example originalAttrs(link, { mtu: 1400 }) // { mtu: 1500 }
 */
export function originalAttrs(link: Link, wanted: LinkAttrs): LinkAttrs {
  const out: LinkAttrs = {};
  // As the reference's HardwareAddr.String(): a link without an address saves nothing to restore.
  if (wanted.mac !== undefined && link.mac !== undefined) out.mac = link.mac;
  if (wanted.promisc !== undefined) out.promisc = (link.rawFlags & IFF_PROMISC) !== 0;
  if (wanted.mtu !== undefined) out.mtu = link.mtu;
  if (wanted.allmulti !== undefined) out.allmulti = (link.rawFlags & IFF_ALLMULTI) !== 0;
  if (wanted.txQLen !== undefined) out.txQLen = link.txQueueLen;
  return out;
}

/**
 * The file's text, byte for byte what the reference writes (json.MarshalIndent with one space).
 *
 * @example encodeAttrs({ mac: '02:00:00:00:00:01', mtu: 1500 }) // '{\n "mac": "02:00:00:00:00:01",\n "mtu": 1500\n}'
 */
export function encodeAttrs(a: LinkAttrs): string {
  const ordered: LinkAttrs = {};
  // The reference omits an empty MAC and a zero MTU (omitempty), keeps false and 0 otherwise.
  if (a.mac) ordered.mac = a.mac;
  if (a.promisc !== undefined) ordered.promisc = a.promisc;
  if (a.mtu) ordered.mtu = a.mtu;
  if (a.allmulti !== undefined) ordered.allmulti = a.allmulti;
  if (a.txQLen !== undefined) ordered.txQLen = a.txQLen;
  return JSON.stringify(ordered, null, 1);
}

/**
 * Reads a saved file as the reference's decoder does (keys in any case); undefined when it is
 * not one.
 *
 * @example decodeAttrs('{"MTU": 1500}') // { mtu: 1500 }
 */
export function decodeAttrs(text: string): LinkAttrs | undefined {
  try {
    const c = new ConfigReader(parseJsonObject(text));
    const out: LinkAttrs = {};
    const mac = c.string('mac', '');
    if (mac !== '') out.mac = mac;
    const promisc = c.optionalBoolean('promisc');
    if (promisc !== undefined) out.promisc = promisc;
    const mtu = c.integer('mtu', {}, 0);
    if (mtu !== 0) out.mtu = mtu;
    const allmulti = c.optionalBoolean('allmulti');
    if (allmulti !== undefined) out.allmulti = allmulti;
    if (c.has('txQLen')) out.txQLen = c.integer('txQLen');
    return out;
  } catch {
    return undefined;
  }
}

/**
 * Writes the file of an attachment (the directory made 0600 when missing and the file 0600,
 * as the reference), with its messages (code 999) on failure.
 *
 * @example writeAttrsFile('/run/cni/tuning', 'ctr1', 'eth0', { mtu: 1500 })
 */
export function writeAttrsFile(dataDir: string, containerID: string, ifName: string, a: LinkAttrs): void {
  const file = savedAttrsPath(dataDir, containerID, ifName);
  if (!existsSync(dataDir)) {
    try {
      mkdirSync(dataDir, { recursive: true, mode: 0o600 });
    } catch (e) {
      throw new CniError(ErrorCode.Internal, `failed to create backup directory: ${fileErrorText(e, 'mkdir', dataDir)}`);
    }
  }
  try {
    writeFileSync(file, encodeAttrs(a), { mode: 0o600 });
  } catch (e) {
    throw new CniError(ErrorCode.Internal, `failed to save file ${ifName}.json: ${fileErrorText(e, 'open', file)}`);
  }
}

/** The file's text, or undefined when there is none. @example readAttrsFile(savedAttrsPath(dir, 'ctr1', 'eth0')) */
export function readAttrsFile(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** @example removeAttrsFile(savedAttrsPath(dir, 'ctr1', 'eth0')) */
export function removeAttrsFile(file: string): void {
  rmSync(file, { force: true });
}

/** A kernel refusal in Go's words: the bare errno text, as vishvananda/netlink returns it. */
function kernelText(e: unknown): string {
  return e instanceof SysError ? describeErrno(e.errno) : (e as Error).message;
}

const STEPS: readonly { key: keyof LinkAttrs; what: string; change: (a: LinkAttrs) => LinkChanges }[] = [
  { key: 'mac', what: 'MAC address', change: (a) => ({ mac: a.mac! }) },
  { key: 'promisc', what: 'promiscuous mode', change: (a) => ({ promisc: a.promisc! }) },
  { key: 'mtu', what: 'MTU', change: (a) => ({ mtu: a.mtu! }) },
  { key: 'allmulti', what: 'all-multicast mode', change: (a) => ({ allmulti: a.allmulti! }) },
  { key: 'txQLen', what: 'transmit queue length', change: (a) => ({ txQueueLen: a.txQLen! }) },
];

/**
 * Sets the attributes one request each in ADD's order (MAC, promisc, MTU, allmulti,
 * txqueuelen), stopping at the first refusal, which is thrown with the kernel's words (999).
 *
 * @example applyAttrs(rt, 'eth0', { mac: '02:00:00:00:00:01', mtu: 1400 })
 */
export function applyAttrs(rt: RtnlSocket, ifName: string, a: LinkAttrs): void {
  for (const step of STEPS) {
    if (a[step.key] === undefined) continue;
    try {
      setLink(rt, ifName, step.change(a));
    } catch (e) {
      throw new CniError(ErrorCode.Internal, kernelText(e));
    }
  }
}

/**
 * Puts saved values back in the reference's DEL order (MTU, MAC, promisc, allmulti,
 * txqueuelen), trying every one; the failures in its words, or an empty list.
 *
 * @example restoreAttrs(rt, 'eth0', { mtu: 1500, mac: '02:00:00:00:00:01' }) // []
 */
export function restoreAttrs(rt: RtnlSocket, ifName: string, a: LinkAttrs): string[] {
  const order: (keyof LinkAttrs)[] = ['mtu', 'mac', 'promisc', 'allmulti', 'txQLen'];
  const failures: string[] = [];
  for (const key of order) {
    const step = STEPS.find((s) => s.key === key)!;
    if (a[key] === undefined) continue;
    try {
      setLink(rt, ifName, step.change(a));
    } catch (e) {
      failures.push(`failed to restore ${step.what}: ${kernelText(e)}`);
    }
  }
  return failures;
}
