/**
 * host-device: moves an existing host device into the container (reference §2.6), renamed
 * to CNI_IFNAME with its own name kept in the alias, and configured by IPAM when the config
 * has one; DEL moves it back under its own name. A device bound to a user-space (DPDK)
 * driver has no netdev: it is only reported, and IPAM's addresses are not applied.
 *
 * Deliberate differences from the reference: DEL succeeds when the namespace or the device
 * is already gone (the kernel returns a physical device to the initial namespace itself), and
 * a failed ADD also moves the device back instead of leaving it in the container.
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
import { ipamAdd, ipamCheck, ipamDel, ipamStatus } from '../../ipam-exec.js';
import { configureIface } from '../../net/configure-iface.js';
import { validateExpectedInterfaceIPs, validateExpectedRoutes } from '../../net/validate.js';
import { findHostDevice, hasDpdkDriver, withDeviceID, type DeviceSpec } from './find-device.js';
import { moveLinkIn, moveLinkOut } from './move-link.js';

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
    return { spec, dpdk: dpdkMode(c, spec), ipamType: c.string('ipam.type', ''), dns: readConfigDNS(c).dns };
  });
}

function openNetns(path: string): NetNS {
  try {
    return NetNS.open(path);
  } catch (e) {
    throw new Error(`failed to open netns ${JSON.stringify(path)}: ${(e as Error).message}`, { cause: e });
  }
}

async function add(args: CmdArgs): Promise<Result> {
  const conf = loadConf(args);
  const ns = openNetns(args.netns);
  try {
    const iface: Interface = { name: args.ifName, sandbox: args.netns };
    if (!conf.dpdk) {
      const hostDev = withRtnlSocket({}, (rt) => {
        try {
          return findHostDevice(rt, conf.spec);
        } catch (e) {
          throw new Error(`failed to find host device: ${(e as Error).message}`, { cause: e });
        }
      });
      let link;
      try {
        link = moveLinkIn(hostDev, ns, args.ifName);
      } catch (e) {
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
      if (!conf.dpdk) configureIface(ns, args.ifName, result);
    } catch (e) {
      if (addressed) await ipamDel(args, conf.ipamType).catch(() => undefined);
      if (!conf.dpdk) {
        try {
          moveLinkOut(ns, args.ifName);
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
  if (args.netns === '') return;
  let ns: NetNS | undefined;
  try {
    ns = NetNS.open(args.netns);
  } catch (e) {
    if (!(e instanceof NetNSPathError && e.code === 'ENOENT')) throw new Error(`failed to open netns ${JSON.stringify(args.netns)}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  try {
    if (conf.ipamType !== '') await ipamDel(args, conf.ipamType);
    // Without the namespace the kernel already returned (or, if virtual, destroyed) the device.
    if (ns !== undefined && !conf.dpdk) moveLinkOut(ns, args.ifName);
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

async function status(args: CmdArgs): Promise<void> {
  const ipamType = parseConfig(args.stdinData, (c) => ({ ipamType: c.string('ipam.type', '') })).ipamType;
  if (ipamType !== '') await ipamStatus(args, ipamType);
}

export const handlers: Handlers = { add, del, check, status };
