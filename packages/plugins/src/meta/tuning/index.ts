/**
 * tuning (reference-plugins.md 4.3): a chained plugin that writes net sysctls in the container
 * and changes the container interface's MAC, promiscuous mode, MTU, all-multicast mode and
 * transmit queue length. ADD saves the original attributes in the reference's file and DEL
 * puts them back; sysctls are not restored, as in the reference. The result is the previous
 * one, with the new MAC on the interface of CNI_IFNAME.
 */
import { writeFileSync } from 'node:fs';
import type { CmdArgs, Handlers } from '@tscni/skel';
import { CniError, ErrorCode } from '@tscni/spec/errors';
import { toCurrentResult } from '@tscni/spec/result-convert';
import type { Result } from '@tscni/spec/result-types';
import { NetNS, NetNSPathError, withNetNS } from '@tscni/netlink/netns';
import { isNotFound } from '@tscni/netlink/rtnl/errors';
import { getLink, type Link } from '@tscni/netlink/rtnl/link';
import { IFF_ALLMULTI, IFF_PROMISC } from '@tscni/netlink/rtnl/link-attrs';
import { withRtnlSocket, type RtnlSocket } from '@tscni/netlink/rtnl/socket';
import { openNetns } from '../../net/container-netns.js';
import { kernelMac, mergedSysctls, readTuningConf, type TuningConf } from './config.js';
import {
  applyAttrs,
  decodeAttrs,
  originalAttrs,
  readAttrsFile,
  removeAttrsFile,
  restoreAttrs,
  savedAttrsPath,
  writeAttrsFile,
  type LinkAttrs,
} from './saved-attrs.js';
import { sysctlEntries } from './sysctl-entries.js';
import { ALLOWLIST_FILE, checkAllowed, readAllowlist, readSysctlFile, restoreSysctls, sysctlFile, writeSysctls } from './sysctls.js';

export interface TuningOptions {
  /** The sysctl allow-list; the reference's fixed path unless a test points elsewhere. */
  allowlistFile?: string;
}

/** The prevResult ADD and CHECK need, or the reference's message (code 7 here: the config lacks it). */
function requiredPrevResult(args: CmdArgs): Result {
  const prev = args.prevResult;
  if (prev === undefined) throw new CniError(ErrorCode.InvalidNetworkConfig, 'Required prevResult missing');
  return prev;
}

/** Sysctls as /proc/sys files with their values, every key checked before any is written. */
function sysctlFiles(values: readonly [string, string][], ifName: string): [string, string][] {
  return values.map(([k, v]) => [sysctlFile(k, ifName), v]);
}

/** The attributes ADD sets: promisc only when on, the MTU only when not 0. */
function wantedAttrs(conf: TuningConf): LinkAttrs {
  const a: LinkAttrs = {};
  if (conf.mac) a.mac = kernelMac(conf.mac);
  if (conf.promisc) a.promisc = true;
  if (conf.mtu !== 0) a.mtu = conf.mtu;
  if (conf.allmulti !== undefined) a.allmulti = conf.allmulti;
  if (conf.txQLen !== undefined) a.txQLen = conf.txQLen;
  return a;
}

function containerLink(rt: RtnlSocket, ifName: string): Link {
  try {
    return getLink(rt, ifName);
  } catch (e) {
    throw new CniError(ErrorCode.Internal, `failed to get ${JSON.stringify(ifName)}: ${isNotFound(e) ? 'Link not found' : (e as Error).message}`);
  }
}

/** Saves the originals, then changes the link; a refusal puts back the link and the file. */
function tuneLink(rt: RtnlSocket, args: CmdArgs, conf: TuningConf, wanted: LinkAttrs): void {
  const original = originalAttrs(containerLink(rt, args.ifName), wanted);
  const file = savedAttrsPath(conf.dataDir, args.containerID, args.ifName);
  const previousFile = readAttrsFile(file);
  writeAttrsFile(conf.dataDir, args.containerID, args.ifName, original);
  try {
    applyAttrs(rt, args.ifName, wanted);
  } catch (e) {
    restoreAttrs(rt, args.ifName, original);
    if (previousFile === undefined) removeAttrsFile(file);
    else writeFileSync(file, previousFile, { mode: 0o600 });
    throw e;
  }
}

/**
 * The previous result with `mac` on the interfaces named CNI_IFNAME. The reference writes the
 * MAC as configured, so `C2-11-...` reaches the result and the main plugin's CHECK, which
 * compares it with the kernel's lower-case form, fails; the kernel's form is written here.
 */
function withMac(prev: Result, ifName: string, mac: string): Result {
  const r = structuredClone(toCurrentResult(prev));
  for (const i of r.interfaces ?? []) if (i.name === ifName) i.mac = mac;
  return r;
}

function add(args: CmdArgs, options: TuningOptions): Result {
  const entries = sysctlEntries(args.stdinData);
  const conf = readTuningConf(args);
  const values = mergedSysctls(entries, conf.argsSysctl);
  checkAllowed(
    values.map(([k]) => k),
    readAllowlist(options.allowlistFile ?? ALLOWLIST_FILE),
  );
  const prev = requiredPrevResult(args);
  const sysctls = sysctlFiles(values, args.ifName);
  const wanted = wantedAttrs(conf);
  const ns = openNetns(args.netns);
  try {
    withNetNS(ns, () =>
      withRtnlSocket({}, (rt) => {
        const written = writeSysctls(sysctls);
        try {
          if (Object.keys(wanted).length > 0) tuneLink(rt, args, conf, wanted);
        } catch (e) {
          restoreSysctls(written);
          throw e;
        }
      }),
    );
  } finally {
    ns.close();
  }
  return wanted.mac !== undefined ? withMac(prev, args.ifName, wanted.mac) : prev;
}

function flagText(on: boolean): string {
  return on ? 'true' : 'false';
}

function checkLink(link: Link, ifName: string, conf: TuningConf): void {
  const mismatch = (what: string, want: string | number, have: string | number): CniError =>
    new CniError(ErrorCode.Internal, `Error: Tuning configured ${what} of ${ifName} is ${want}, current value is ${have}`);
  if (conf.mac) {
    let want = conf.mac.text;
    try {
      want = kernelMac(conf.mac);
    } catch {
      // A MAC that does not parse cannot be the link's: the comparison below reports it.
    }
    if (want !== link.mac) throw mismatch('Ethernet', conf.mac.text, link.mac ?? '');
  }
  const promisc = (link.rawFlags & IFF_PROMISC) !== 0;
  if (promisc !== conf.promisc) {
    throw new CniError(ErrorCode.Internal, `Error: Tuning link ${ifName} configured promisc is ${flagText(conf.promisc)}, current value is ${promisc ? 1 : 0}`);
  }
  if (conf.mtu !== 0 && conf.mtu !== link.mtu) throw mismatch('MTU', conf.mtu, link.mtu);
  const allmulti = (link.rawFlags & IFF_ALLMULTI) !== 0;
  if (conf.allmulti !== undefined && conf.allmulti !== allmulti) throw mismatch('all-multicast mode', flagText(conf.allmulti), flagText(allmulti));
  if (conf.txQLen !== undefined && conf.txQLen !== link.txQueueLen) throw mismatch('Transmit Queue Length', conf.txQLen, link.txQueueLen);
}

function check(args: CmdArgs): void {
  const entries = sysctlEntries(args.stdinData);
  const conf = readTuningConf(args);
  const prev = requiredPrevResult(args);
  try {
    toCurrentResult(prev);
  } catch (e) {
    throw new CniError(ErrorCode.Internal, (e as Error).message);
  }
  const ns = openNetns(args.netns);
  try {
    withNetNS(ns, () => {
      for (const [file, want] of sysctlFiles(mergedSysctls(entries, conf.argsSysctl), args.ifName)) {
        const have = readSysctlFile(file);
        if (have !== want) throw new CniError(ErrorCode.Internal, `Error: Tuning configured value of ${file} is ${want}, current value is ${have}`);
      }
      withRtnlSocket({}, (rt) => {
        let link: Link;
        try {
          link = getLink(rt, args.ifName);
        } catch {
          throw new CniError(ErrorCode.Internal, `Cannot find container link ${args.ifName}`);
        }
        checkLink(link, args.ifName, conf);
      });
    });
  } finally {
    ns.close();
  }
}

/** Restores the saved attributes; whether the file is done with (restored, or nothing to restore into). */
function restoreInto(ns: NetNS, ifName: string, saved: LinkAttrs): boolean {
  return withNetNS(ns, () =>
    withRtnlSocket({}, (rt) => {
      try {
        getLink(rt, ifName);
      } catch (e) {
        if (isNotFound(e)) return true;
        throw e;
      }
      return restoreAttrs(rt, ifName, saved).length === 0;
    }),
  );
}

/**
 * DEL never fails once the config reads, as in the reference. Where the reference keeps the
 * file because the namespace or the link is gone, it is removed here: nothing is left to
 * restore and the file would stay forever. A failed restore keeps it for a later DEL.
 */
function del(args: CmdArgs): void {
  const conf = readTuningConf(args);
  const file = savedAttrsPath(conf.dataDir, args.containerID, args.ifName);
  const text = readAttrsFile(file);
  if (text === undefined) return;
  const saved = decodeAttrs(text);
  if (saved === undefined || args.netns === '') {
    removeAttrsFile(file);
    return;
  }
  let ns: NetNS;
  try {
    ns = NetNS.open(args.netns);
  } catch (e) {
    if (e instanceof NetNSPathError && e.code === 'ENOENT') removeAttrsFile(file);
    return;
  }
  try {
    if (restoreInto(ns, args.ifName, saved)) removeAttrsFile(file);
  } catch {
    // The reference ignores every failure inside the namespace.
  } finally {
    ns.close();
  }
}

/**
 * The handlers, with the allow-list read from `options.allowlistFile` (tests) or the
 * reference's path.
 *
 * @example const h = tuningHandlers({ allowlistFile: join(dir, 'allowlist.conf') }); await h.add!(args)
 */
export function tuningHandlers(options: TuningOptions = {}): Handlers {
  return { add: (args) => add(args, options), check, del };
}

export const handlers: Handlers = tuningHandlers();
