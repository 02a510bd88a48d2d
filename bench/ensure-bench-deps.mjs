#!/usr/bin/env node
// Installs what the benchmark needs, from Debian's apt: the Go toolchain and the reference
// libcni source (for the Go driver, built offline), the Go reference plugins (the other side
// of every comparison) and the tools that make namespaces and rules; then the npm
// dependencies of the build when they are missing. Not the test suite's extras (qemu,
// dnsmasq, ...): those are scripts/ensure-deps.mjs's. Node built-ins only; idempotent.
import { ensureDebianPackages, ensureNpmDependencies } from '../scripts/install-deps.mjs';

/** Debian packages, each with a file that shows it is installed. */
const packages = [
  ['golang-go', '/usr/bin/go'],
  ['golang-github-appc-cni-dev', '/usr/share/gocode/src/github.com/containernetworking/cni/libcni/api.go'],
  ['containernetworking-plugins', '/usr/lib/cni/bridge'],
  ['iproute2', '/usr/sbin/ip'],
  ['iptables', '/usr/sbin/iptables'],
  // the plugin shim the build compiles (packages/plugins/shim), and nsenter for the servers
  ['gcc', '/usr/bin/gcc'],
  ['libc6-dev', '/usr/include/stdio.h'],
  ['util-linux', '/usr/bin/nsenter'],
];

ensureDebianPackages('ensure-bench-deps', packages);
ensureNpmDependencies('ensure-bench-deps');
