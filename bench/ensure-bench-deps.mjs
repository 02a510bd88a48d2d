#!/usr/bin/env node
// Installs what the benchmark needs, from Debian's apt: the Go toolchain and the reference
// libcni source (for the Go driver, built offline), the Go reference plugins (the other side
// of every comparison) and the tools that make namespaces and rules; then the npm
// dependencies of the build when they are missing. Not the test suite's extras (qemu,
// dnsmasq, ...): those are scripts/ensure-deps.mjs's. Node built-ins only; idempotent.
import { existsSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Debian packages, each with a file that shows it is installed. */
const packages = [
  ['golang-go', '/usr/bin/go'],
  ['golang-github-appc-cni-dev', '/usr/share/gocode/src/github.com/containernetworking/cni/libcni/api.go'],
  ['containernetworking-plugins', '/usr/lib/cni/bridge'],
  ['iproute2', '/usr/sbin/ip'],
  ['iptables', '/usr/sbin/iptables'],
];

function run(cmd, args, cwd = root) {
  const r = spawnSync(cmd, args, {
    cwd,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  return r.status === 0;
}

const missing = packages.filter(([, probe]) => !existsSync(probe)).map(([name]) => name);
if (missing.length > 0) {
  if (process.getuid?.() !== 0) {
    console.error(`ensure-bench-deps: missing Debian packages ${missing.join(' ')}; run as root or install them`);
    process.exit(1);
  }
  console.error(`ensure-bench-deps: installing ${missing.join(' ')} from apt`);
  // Other installers may hold the dpkg lock for a while (the test suite's ensure-deps).
  const install = ['-o', 'DPkg::Lock::Timeout=600', 'install', '-y', '-q', '--no-install-recommends', ...missing];
  if (!run('apt-get', install)) {
    if (!run('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'update', '-q']) || !run('apt-get', install)) {
      console.error('ensure-bench-deps: apt-get install failed');
      process.exit(1);
    }
  }
}

// npm ci when node_modules is absent or older than the lock file (as scripts/ensure-deps.mjs).
const lock = join(root, 'package-lock.json');
const marker = join(root, 'node_modules', '.package-lock.json');
if (!existsSync(marker) || (existsSync(lock) && statSync(lock).mtimeMs > statSync(marker).mtimeMs + 1000)) {
  console.error('ensure-bench-deps: installing npm dependencies (npm ci)');
  if (!run('npm', ['ci', '--no-audit', '--no-fund'])) {
    console.error('ensure-bench-deps: npm ci failed');
    process.exit(1);
  }
}
