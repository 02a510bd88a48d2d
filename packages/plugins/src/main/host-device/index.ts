/**
 * host-device: moves an existing host device into the container (reference §2.6), renamed
 * to CNI_IFNAME with its own name kept in the alias, and configured by IPAM when the config
 * has one; DEL moves it back under its own name. A device bound to a user-space (DPDK)
 * driver has no netdev: it is only reported, and IPAM's addresses are not applied.
 *
 * The kernel drops a device's addresses when it changes namespace, so ADD saves those the
 * host configured in a state file (`<dataDir>/<containerID>-<ifname>.json`, dataDir
 * /run/cni/host-device unless the config says otherwise) and DEL puts them back (issue #5).
 *
 * Deliberate differences from the reference: DEL restores the device's addresses; DEL
 * succeeds when the namespace or the device is already gone (the kernel returns a physical
 * device to the initial namespace itself, and DEL then gives it back its name and addresses),
 * and a failed ADD also moves the device back, addresses included, instead of leaving it in
 * the container.
 */
import { parseConfig, type CmdArgs, type ConfigReader, type Handlers } from '@tscni/skel';
import { NetNS, NetNSPathError } from '@tscni/netlink/netns';
import { isNotFound } from '@tscni/netlink/rtnl/errors';
import { getLink } from '@tscni/netlink/rtnl/link';
import { withRtnlSocket } from '@tscni/netlink/rtnl/socket';
import { CniError, ErrorCode } from '@tscni/spec/errors';
import { toCurrentResult } from '@tscni/spec/result-convert';
import type { Interface, Result, Result100 } from '@tscni/spec/result-types';
import { readConfigDNS } from '../../conf/dns.js';
import { ipamAdd, ipamCheck, ipamDel } from '../../ipam-exec.js';
import { configureIface } from '../../net/configure-iface.js';
import { validateExpectedInterfaceIPs, validateExpectedRoutes } from '../../net/validate.js';
import { findHostDevice, hasDpdkDriver, withDeviceID, type DeviceSpec } from './find-device.js';
import { moveLinkIn, moveLinkOut, type MoveOut } from './move-link.js';
import {
  DEFAULT_DATA_DIR,
  dropSaved,
  linkNamed,
  readSaved,
  restoreAddresses,
  returnedDevice,
  savedDevice,
  statePath,
  writeSaved,
  type SavedDevice,
} from './saved-addresses.js';
import { openNetns } from '../../net/container-netns.js';
import { ipamStatusIfAny } from '../../attachment.js';

function invalid(msg: string): CniError {
  return new CniError(ErrorCode.InvalidNetworkConfig, msg);
}

function deviceSpec(c: ConfigReader): DeviceSpec {
  const spec: DeviceSpec = {
    device: c.string('device', ''),
    hwaddr: c.string('hwaddr', ''),
    kernelpath: c.string('kernelpath', ''),
    pciBusID: c.string('pciBusID', ''),
    auxDevice: '',
  };
  const deviceID = c.string('runtimeConfig.deviceID', '');
  const resolved = withDeviceID(spec, deviceID);
  if (resolved === null) throw invalid(`runtime config DeviceID ${deviceID} not found or unsupported`);
  if (Object.values(resolved).every((v) => v === '')) throw invalid('specify either "device", "hwaddr", "kernelpath" or "pciBusID"');
  return resolved;
}

/** The reference's DPDKMode: the config's key, replaced by what the PCI device's driver says. */
function dpdkMode(c: ConfigReader, spec: DeviceSpec): boolean {
  if (spec.pciBusID === '') return c.boolean('DPDKMode', false);
  try {
    return hasDpdkDriver(spec.pciBusID);
  } catch (e) {
    throw invalid(`error with host device: ${(e as Error).message}`);
  }
}

function loadConf(args: CmdArgs) {
  return parseConfig(args.stdinData, (c) => {
    const spec = deviceSpec(c);
    const dataDir = c.string('dataDir', '') || DEFAULT_DATA_DIR;
    return { spec, dpdk: dpdkMode(c, spec), ipamType: c.string('ipam.type', ''), dns: readConfigDNS(c).dns, dataDir };
  });
}

/** After a failed ADD moved the device back: its addresses too, as far as possible. */
function putBackAfterFailure(path: string, saved: SavedDevice | undefined): void {
  if (saved === undefined) return;
  try {
    withRtnlSocket({}, (rt) => {
      const dev = linkNamed(rt, saved.name);
      if (dev !== undefined) restoreAddresses(rt, dev, saved.addresses);
    });
    dropSaved(path);
  } catch {
    // The ADD's own error says what went wrong; DEL will try again from the state file.
  }
}

/**
 * DEL's last step: the saved addresses back on the device, which `out` says moveLinkOut
 * returned under its own name, or else the kernel did (or it is gone). The state file stays
 * when an address cannot be restored, so that a retried DEL tries again.
 */
function restoreSaved(path: string, ifName: string, out: MoveOut | 'no-netns'): void {
  const saved = readSaved(path);
  if (saved === undefined) return;
  withRtnlSocket({}, (rt) => {
    const dev = out === 'moved' ? linkNamed(rt, saved.name) : returnedDevice(rt, saved, ifName);
    if (dev !== undefined) restoreAddresses(rt, dev, saved.addresses);
  });
  dropSaved(path);
}

async function add(args: CmdArgs): Promise<Result> {
  const conf = loadConf(args);
  const ns = openNetns(args.netns);
  try {
    const iface: Interface = { name: args.ifName, sandbox: args.netns };
    const path = statePath(conf.dataDir, args.containerID, args.ifName);
    let saved: SavedDevice | undefined;
    if (!conf.dpdk) {
      const [hostDev, found] = withRtnlSocket({}, (rt) => {
        let dev;
        try {
          dev = findHostDevice(rt, conf.spec);
        } catch (e) {
          throw new Error(`failed to find host device: ${(e as Error).message}`, { cause: e });
        }
        return [dev, savedDevice(rt, dev)] as const;
      });
      // Saved before the move, which drops the addresses: a device without any needs no file.
      if (found.addresses.length > 0) {
        writeSaved(path, found);
        saved = found;
      }
      let link;
      try {
        link = moveLinkIn(hostDev, ns, args.ifName);
      } catch (e) {
        putBackAfterFailure(path, saved);
        // The reference's text, without a colon.
        throw new Error(`failed to move link ${(e as Error).message}`, { cause: e });
      }
      iface.name = link.name;
      iface.mac = link.mac ?? '';
    }
    const result: Result100 = { cniVersion: '1.1.0', interfaces: [iface] };
    if (conf.ipamType === '') return result;

    let addressed = false;
    try {
      const ipam = await ipamAdd(args, conf.ipamType);
      addressed = true;
      if ((ipam.ips ?? []).length === 0) throw new Error('IPAM plugin returned missing IP config');
      result.ips = ipam.ips!.map((ipc) => ({ ...ipc, interface: 0 }));
      if (ipam.routes !== undefined) result.routes = ipam.routes;
      if (!conf.dpdk) await configureIface(ns, args.ifName, result);
    } catch (e) {
      if (addressed) await ipamDel(args, conf.ipamType).catch(() => undefined);
      if (!conf.dpdk) {
        try {
          if (moveLinkOut(ns, args.ifName) === 'moved') putBackAfterFailure(path, saved);
        } catch {
          // The ADD's own error says what went wrong; the device stays where it is.
        }
      }
      throw e;
    }
    // IPAM's DNS is dropped for the config's, as the reference does (quirk 6).
    result.dns = conf.dns;
    return result;
  } finally {
    ns.close();
  }
}

async function del(args: CmdArgs): Promise<void> {
  const conf = loadConf(args);
  const path = statePath(conf.dataDir, args.containerID, args.ifName);
  // Without a namespace there is nothing to move, but the kernel may have returned the device.
  if (args.netns === '') {
    if (!conf.dpdk) restoreSaved(path, args.ifName, 'no-netns');
    return;
  }
  let ns: NetNS | undefined;
  try {
    ns = NetNS.open(args.netns);
  } catch (e) {
    if (!(e instanceof NetNSPathError && e.code === 'ENOENT')) throw new Error(`failed to open netns ${JSON.stringify(args.netns)}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  try {
    if (conf.ipamType !== '') await ipamDel(args, conf.ipamType);
    // Without the namespace the kernel already returned (or, if virtual, destroyed) the device.
    if (conf.dpdk) return;
    const out = ns === undefined ? 'no-netns' : moveLinkOut(ns, args.ifName);
    restoreSaved(path, args.ifName, out);
  } finally {
    ns?.close();
  }
}

async function check(args: CmdArgs): Promise<void> {
  const conf = loadConf(args);
  const ns = openNetns(args.netns);
  try {
    if (conf.ipamType !== '') await ipamCheck(args, conf.ipamType);
    const prev = args.prevResult;
    if (prev === undefined) throw new Error('Required prevResult missing');
    const result = toCurrentResult(prev);
    if (conf.dpdk) return;
    const cont = (result.interfaces ?? []).find((i) => i.name === args.ifName && i.sandbox === args.netns);
    if (cont === undefined) throw new Error(`Sandbox in prevResult  doesn't match configured netns: ${args.netns}`);
    withRtnlSocket({ netns: ns }, (rt) => {
      let link;
      try {
        link = getLink(rt, cont.name);
      } catch (e) {
        if (isNotFound(e)) throw new Error(`Container Interface name in prevResult: ${cont.name} not found`);
        throw e;
      }
      if (cont.mac && cont.mac !== link.mac) {
        throw new Error(`Interface ${cont.name} Mac ${cont.mac} doesn't match container Mac: ${link.mac ?? ''}`);
      }
      validateExpectedInterfaceIPs(rt, args.ifName, result.ips ?? []);
      validateExpectedRoutes(rt, result.routes ?? []);
    });
  } finally {
    ns.close();
  }
}

export const handlers: Handlers = { add, del, check, status: ipamStatusIfAny };
