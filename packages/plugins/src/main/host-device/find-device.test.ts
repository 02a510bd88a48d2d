import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { withRtnlSocket } from '@tscni/netlink/rtnl/socket';
import { scratchNetns, type ScratchNetns } from '@tscni/netlink/testing/scratch-netns';
import { findHostDevice, hasDpdkDriver, parseMac, withDeviceID, type DeviceSpec, type Sysfs } from './find-device.js';

const NONE: DeviceSpec = { device: '', hwaddr: '', kernelpath: '', pciBusID: '', auxDevice: '' };

describe('host-device lookup (fake sysfs)', () => {
  let ns: ScratchNetns;
  let root: string;
  let sysfs: Sysfs;
  before(() => {
    ns = scratchNetns('tscni-hdfind-');
    ns.exec('ip', ['link', 'add', 'pcidev0', 'address', '02:00:00:00:aa:01', 'type', 'veth', 'peer', 'name', 'virtdev0']);
    root = mkdtempSync(join(tmpdir(), 'tscni-hdfind-'));
    sysfs = { pciDevices: join(root, 'bus/pci/devices'), auxDevices: join(root, 'bus/auxiliary/devices') };
    const dir = (...p: string[]) => mkdirSync(join(...p), { recursive: true });
    dir(sysfs.pciDevices, '0000:00:03.0', 'net', 'pcidev0');
    dir(sysfs.pciDevices, '0000:00:04.0', 'virtio1', 'net', 'virtdev0');
    dir(sysfs.pciDevices, '0000:00:05.0');
    dir(sysfs.pciDevices, '0000:00:06.0', 'net');
    dir(sysfs.auxDevices, 'mlx5_core.sf.2', 'net', 'virtdev0');
    dir(root, 'drivers', 'vfio-pci');
    dir(root, 'drivers', 'e1000');
    symlinkSync(join(root, 'drivers', 'vfio-pci'), join(sysfs.pciDevices, '0000:00:05.0', 'driver'));
    symlinkSync(join(root, 'drivers', 'e1000'), join(sysfs.pciDevices, '0000:00:03.0', 'driver'));
  });
  after(() => {
    ns?.remove();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  const find = (spec: Partial<DeviceSpec>) => withRtnlSocket({ netns: ns.path }, (rt) => findHostDevice(rt, { ...NONE, ...spec }, sysfs).name);

  it('finds the netdev of a PCI device, or of its virtio child', () => {
    assert.equal(find({ pciBusID: '0000:00:03.0' }), 'pcidev0');
    assert.equal(find({ pciBusID: '0000:00:04.0' }), 'virtdev0');
    assert.throws(() => find({ pciBusID: '0000:00:05.0' }), { message: 'no net directory under pci device 0000:00:05.0' });
    assert.throws(() => find({ pciBusID: '0000:00:06.0' }), { message: `failed to find network device in path ${join(sysfs.pciDevices, '0000:00:06.0', 'net')}` });
  });

  it('resolves runtimeConfig.deviceID to a PCI or an auxiliary device, which it then finds', () => {
    assert.deepEqual(withDeviceID(NONE, '0000:00:04.0', sysfs), { ...NONE, pciBusID: '0000:00:04.0' });
    const aux = withDeviceID({ ...NONE, pciBusID: '0000:00:03.0' }, 'mlx5_core.sf.2', sysfs)!;
    assert.deepEqual(aux, { ...NONE, auxDevice: 'mlx5_core.sf.2' });
    assert.equal(find(aux), 'virtdev0');
    assert.equal(withDeviceID(NONE, 'nosuch', sysfs), null);
    assert.equal(withDeviceID(NONE, '', sysfs), NONE);
  });

  it('tells user-space (DPDK) drivers by the driver link', () => {
    assert.equal(hasDpdkDriver('0000:00:05.0', sysfs), true);
    assert.equal(hasDpdkDriver('0000:00:03.0', sysfs), false);
    assert.throws(() => hasDpdkDriver('0000:00:04.0', sysfs), { message: `lstat ${join(sysfs.pciDevices, '0000:00:04.0', 'driver')}: no such file or directory` });
  });

  it('finds by name and by MAC, and says so when nothing matches', () => {
    assert.equal(find({ device: 'pcidev0' }), 'pcidev0');
    assert.throws(() => find({ device: 'nosuch0' }), { message: 'Link not found' });
    assert.equal(find({ hwaddr: '02-00-00-00-AA-01' }), 'pcidev0');
    assert.throws(() => find({ hwaddr: '02:00:00:00:aa:99' }), { message: 'failed to find physical interface' });
    assert.throws(() => find({ hwaddr: 'bogus' }), { message: 'failed to parse MAC address "bogus": address bogus: invalid MAC address' });
    assert.throws(() => find({ kernelpath: 'sys/devices/x' }), { message: 'kernel device path "sys/devices/x" must be absolute and begin with /sys/devices/' });
    assert.throws(() => find({ kernelpath: '/etc' }), { message: 'kernel device path "/etc" must be absolute and begin with /sys/devices/' });
  });

  it("parses MACs as Go's net.ParseMAC does for 6 bytes", () => {
    assert.equal(parseMac('02:AB:00:00:00:01'), '02:ab:00:00:00:01');
    assert.equal(parseMac('02ab.0000.0001'), '02:ab:00:00:00:01');
    assert.equal(parseMac('02:ab-00:00:00:01'), undefined);
  });
});
