#!/usr/bin/env node
// Installs what `npm test` and `npm start` need on a fresh Debian machine: the system
// packages (through apt, once) and the npm dependencies (through `npm ci`, when missing).
// It only uses node's built-ins so that it runs before anything is installed.
import { ensureDebianPackages, ensureNpmDependencies } from './install-deps.mjs';

/** Debian packages the tests use, each with a file that shows it is installed. */
const systemPackages = [
  // the Go reference plugins: the interop oracle and the demo's plugins until ours land
  ['containernetworking-plugins', '/usr/lib/cni/bridge'],
  // the build compiles the plugin shim (packages/plugins/shim) with the system's C compiler
  ['gcc', '/usr/bin/gcc'],
  ['libc6-dev', '/usr/include/stdio.h'],
  ['iproute2', '/usr/sbin/ip'],
  ['iptables', '/usr/sbin/iptables'],
  ['nftables', '/usr/sbin/nft'],
  // the demo and the connectivity tests ping between namespaces
  ['iputils-ping', '/usr/bin/ping'],
  // the DHCP client's and the dhcp plugin's tests run a real DHCP server
  ['dnsmasq-base', '/usr/sbin/dnsmasq'],
  // the firewall plugin's firewalld backend: a private bus (dbus-daemon), the client it calls
  // (dbus-send) and the fake firewalld of its tests (python3-dbus on GLib)
  ['dbus-daemon', '/usr/bin/dbus-daemon'],
  ['dbus-bin', '/usr/bin/dbus-send'],
  ['python3-dbus', '/usr/lib/python3/dist-packages/dbus/__init__.py'],
  ['python3-gi', '/usr/lib/python3/dist-packages/gi/__init__.py'],
  // the full-kernel test lane (test/vm): qemu, Debian's kernel and busybox for its initramfs
  ['qemu-system-x86', '/usr/bin/qemu-system-x86_64'],
  ['linux-image-amd64', '/usr/share/doc/linux-image-amd64'],
  ['busybox-static', '/bin/busybox'],
  // the end-to-end tests with real runtimes (test/e2e): podman with runc, and containerd
  ['podman', '/usr/bin/podman'],
  ['runc', '/usr/sbin/runc'],
  ['containerd', '/usr/bin/containerd'],
];

ensureDebianPackages('ensure-deps', systemPackages);
ensureNpmDependencies('ensure-deps');
