/**
 * Which host device a host-device config names (reference §2.6): by name, by MAC, by a sysfs
 * device path, by PCI address or, through runtimeConfig.deviceID, by PCI or auxiliary-bus
 * device. Paths under /sys are resolved through `Sysfs`, so tests can hand in a fake tree;
 * sysfs shows the devices of the namespace it was mounted in (`ip netns exec` mounts the
 * target's), and the device found there is then looked up by name over netlink.
 */
import { existsSync, lstatSync, readdirSync, realpathSync } from 'node:fs';
import { basename, isAbsolute, join } from 'node:path';
import { isNotFound } from '@tscni/netlink/rtnl/errors';
import { getLink, listLinks, type Link } from '@tscni/netlink/rtnl/link';
import type { RtnlSocket } from '@tscni/netlink/rtnl/socket';
import { describeErrnoName } from '@tscni/netlink/sys-error';

/** Where the PCI and auxiliary buses list their devices. */
export interface Sysfs {
  pciDevices: string;
  auxDevices: string;
}

export const SYSFS: Sysfs = { pciDevices: '/sys/bus/pci/devices', auxDevices: '/sys/bus/auxiliary/devices' };

/** The ways a config can name the device, in the order they take precedence. */
export interface DeviceSpec {
  device: string;
  hwaddr: string;
  kernelpath: string;
  pciBusID: string;
  /** Set from runtimeConfig.deviceID when it names an auxiliary-bus device. */
  auxDevice: string;
}

/** Drivers that hand a PCI device to user space (DPDK): there is no netdev to move then. */
const USERSPACE_DRIVERS = ['vfio-pci', 'uio_pci_generic', 'igb_uio'];

/** Go's text for a failed file operation (`open /x: no such file or directory`). */
function fsError(op: string, path: string, e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
  return `${op} ${path}: ${describeErrnoName(code)}`;
}

/**
 * runtimeConfig.deviceID applied to a spec: a PCI address when the PCI bus has it, else an
 * auxiliary device when that bus has it; null when neither does.
 *
 * @example withDeviceID(spec, '0000:3b:00.2') // { ...spec, pciBusID: '0000:3b:00.2' }
 */
export function withDeviceID(spec: DeviceSpec, deviceID: string, sysfs: Sysfs = SYSFS): DeviceSpec | null {
  if (deviceID === '') return spec;
  if (existsSync(join(sysfs.pciDevices, deviceID))) return { ...spec, pciBusID: deviceID };
  if (existsSync(join(sysfs.auxDevices, deviceID))) return { ...spec, pciBusID: '', auxDevice: deviceID };
  return null;
}

/**
 * Whether the PCI device's driver is a user-space one (DPDK mode). Throws, with Go's text,
 * when the device or its driver link does not exist.
 *
 * @example hasDpdkDriver('0000:3b:00.2') // true when bound to vfio-pci
 */
export function hasDpdkDriver(pciBusID: string, sysfs: Sysfs = SYSFS): boolean {
  const link = join(sysfs.pciDevices, pciBusID, 'driver');
  let driver: string;
  try {
    driver = realpathSync(link);
  } catch (e) {
    throw new Error(fsError('lstat', link, e), { cause: e });
  }
  return USERSPACE_DRIVERS.includes(basename(driver));
}

/** Go's net.ParseMAC for 6-byte addresses (colon, hyphen or dotted form), lower-case colon text. */
export function parseMac(text: string): string | undefined {
  let hex: string | undefined;
  if (/^[0-9a-fA-F]{2}([:-])[0-9a-fA-F]{2}(\1[0-9a-fA-F]{2}){4}$/.test(text)) hex = text.replace(/[:-]/g, '');
  else if (/^[0-9a-fA-F]{4}(\.[0-9a-fA-F]{4}){2}$/.test(text)) hex = text.replace(/\./g, '');
  return hex?.toLowerCase().match(/../g)?.join(':');
}

/** The first network device (by name, as Go's ReadDir sorts) under a sysfs `net` directory. */
function firstDeviceIn(dir: string): string {
  let entries: string[];
  try {
    entries = readdirSync(dir).sort();
  } catch (e) {
    throw new Error(`failed to read directory ${dir}: ${JSON.stringify(fsError('open', dir, e))}`, { cause: e });
  }
  if (entries.length === 0) throw new Error(`failed to find network device in path ${dir}`);
  return entries[0]!;
}

/** The PCI device's `net` directory, or that of its virtio child (virtio-net on PCI). */
function pciNetDir(pciBusID: string, sysfs: Sysfs): string {
  const dev = join(sysfs.pciDevices, pciBusID);
  const netDir = join(dev, 'net');
  try {
    lstatSync(netDir);
    return netDir;
  } catch {
    let virtio: string | undefined;
    try {
      virtio = readdirSync(dev)
        .filter((e) => e.startsWith('virtio'))
        .sort()
        .find((e) => existsSync(join(dev, e, 'net')));
    } catch {
      virtio = undefined;
    }
    if (virtio === undefined) throw new Error(`no net directory under pci device ${pciBusID}`);
    return join(dev, virtio, 'net');
  }
}

function byName(rt: RtnlSocket, name: string): Link {
  try {
    return getLink(rt, name);
  } catch (e) {
    if (isNotFound(e)) throw new Error('Link not found', { cause: e });
    throw e;
  }
}

/**
 * The host link a spec names, looked up through `rt` (a socket in the host namespace). Errors
 * carry the reference's texts; the caller prefixes "failed to find host device: ".
 *
 * @example withRtnlSocket({}, (rt) => findHostDevice(rt, { ...none, hwaddr: '02:00:00:00:00:01' }))
 */
export function findHostDevice(rt: RtnlSocket, spec: DeviceSpec, sysfs: Sysfs = SYSFS): Link {
  if (spec.device !== '') return byName(rt, spec.device);
  if (spec.hwaddr !== '') {
    const mac = parseMac(spec.hwaddr);
    if (mac === undefined) throw new Error(`failed to parse MAC address ${JSON.stringify(spec.hwaddr)}: address ${spec.hwaddr}: invalid MAC address`);
    const link = listLinks(rt).find((l) => l.mac === mac);
    if (link !== undefined) return link;
  } else if (spec.kernelpath !== '') {
    if (!isAbsolute(spec.kernelpath) || !spec.kernelpath.startsWith('/sys/devices/')) {
      throw new Error(`kernel device path ${JSON.stringify(spec.kernelpath)} must be absolute and begin with /sys/devices/`);
    }
    return byName(rt, firstDeviceIn(join(spec.kernelpath, 'net')));
  } else if (spec.pciBusID !== '') {
    return byName(rt, firstDeviceIn(pciNetDir(spec.pciBusID, sysfs)));
  } else if (spec.auxDevice !== '') {
    return byName(rt, firstDeviceIn(join(sysfs.auxDevices, spec.auxDevice, 'net')));
  }
  throw new Error('failed to find physical interface');
}
