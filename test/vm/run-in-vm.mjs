#!/usr/bin/env node
// The full-kernel test lane: boots Debian's kernel (which has ipvlan, vlan, dummy, vrf and
// bridge VLAN filtering, unlike the machines' own) under qemu with this machine's root
// filesystem shared read-only, runs one shell command inside, and brings back its exit status
// and output. Usage: node test/vm/run-in-vm.mjs '<command>'   (prints the guest's output;
// exits with the guest command's status, or 2 when the guest did not finish, after printing
// the console log).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const PACKAGES = [
  ['qemu-system-x86', '/usr/bin/qemu-system-x86_64'],
  ['linux-image-amd64', '/boot'],
  ['busybox-static', '/bin/busybox'],
];
const BASE_MODULES = ['virtio_pci', '9pnet_virtio', '9p'];
const TIMEOUT_MS = Number(process.env.TSCNI_VM_TIMEOUT_MS ?? 15 * 60 * 1000);

function log(s) {
  process.stderr.write(`vm: ${s}\n`);
}

/** Installs the lane's Debian packages when missing (apt-get update once, then install). */
function ensurePackages() {
  const kernelPresent = readdirSync('/boot').some((f) => f.startsWith('vmlinuz-')) && existsSync('/lib/modules');
  const missing = PACKAGES.filter(([name, probe]) => (name === 'linux-image-amd64' ? !kernelPresent : !existsSync(probe))).map(([n]) => n);
  if (missing.length === 0) return;
  log(`installing ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update', '-q'], ['install', '-y', '-q', '--no-install-recommends', ...missing]]) {
    const r = spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env });
    if (r.status !== 0) throw new Error(`apt-get ${args[0]} failed`);
  }
}

/** The newest installed kernel that has its modules. */
function findKernel() {
  const versions = readdirSync('/boot')
    .filter((f) => f.startsWith('vmlinuz-'))
    .map((f) => f.slice('vmlinuz-'.length))
    .filter((v) => existsSync(`/lib/modules/${v}`))
    .sort();
  const version = versions.at(-1);
  if (!version) throw new Error('no kernel with modules in /boot and /lib/modules');
  return { version, image: `/boot/vmlinuz-${version}` };
}

/** The modules to insmod, dependencies first, with their files. */
function moduleOrder(version, names) {
  const order = [];
  const seen = new Set();
  const visit = (name) => {
    if (seen.has(name)) return;
    seen.add(name);
    const info = (field) => execFileSync('modinfo', ['-k', version, '-F', field, name], { encoding: 'utf8' }).trim();
    const file = info('filename');
    if (file === '(builtin)' || file === '') return;
    for (const dep of info('depends').split(',').filter(Boolean)) visit(dep);
    order.push({ name, file });
  };
  for (const n of names) visit(n);
  return order;
}

// Stage 1 (initramfs): modules for virtio and 9p, the host's root read-only, writable tmpfs
// where programs write, then switch_root so that the host's root is the real root (the
// kernel's own module loading then finds the host's modprobe).
const init = (writable) => `#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /modules.order); do insmod /modules/$m.ko || echo "vm-init: insmod $m failed"; done
mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose hostroot /mnt || echo "vm-init: cannot mount the host root"
mount --move /proc /mnt/proc
mount --move /sys /mnt/sys
mount --move /dev /mnt/dev
${writable.map((d) => `mount -t tmpfs tmpfs /mnt${d}`).join('\n')}
mkdir -p /mnt/run/vm-results /mnt/run/netns /mnt/run/tmp
mount -t 9p -o trans=virtio,version=9p2000.L results /mnt/run/vm-results || echo "vm-init: cannot mount the results share"
cp /cmd.sh /mnt/run/cmd.sh
cp /stage2.sh /mnt/run/stage2.sh
exec switch_root /mnt /bin/sh /run/stage2.sh
`;

// Stage 2 (on the host's root): run the command, record its output and status, power off.
const STAGE2 = `export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/run/tmp TMPDIR=/run/tmp
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts 2>/dev/null
# Drivers whose device nodes or kinds user space expects without asking (udev loads them elsewhere).
modprobe -q tun 2>/dev/null
# devtmpfs has no /dev/stdin & co (udev makes them on a full system); nft -f /dev/stdin needs them.
ln -sf /proc/self/fd /dev/fd; ln -sf /proc/self/fd/0 /dev/stdin; ln -sf /proc/self/fd/1 /dev/stdout; ln -sf /proc/self/fd/2 /dev/stderr
echo "vm-init: running the command"
sh /run/cmd.sh > /run/vm-results/output 2>&1
echo $? > /run/vm-results/status
echo "vm-init: command finished with status $(cat /run/vm-results/status)"
sync
echo o > /proc/sysrq-trigger
sleep 10
`;

/**
 * The folders that get an empty tmpfs in the guest (the host's are read-only there): /run
 * always (namespaces, locks, TMPDIR), the others unless the checkout lives inside one, which
 * a tmpfs would hide (CI may clone under /tmp).
 */
function writableDirs() {
  const checkout = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  return ['/run', '/tmp', '/var/lib'].filter((d) => d === '/run' || !`${checkout}/`.startsWith(`${d}/`));
}

/** Builds the initramfs (cpio newc, gzip) holding busybox, the 9p modules and the command. */
function buildInitramfs(work, kernel, command) {
  const root = join(work, 'initramfs');
  for (const d of ['bin', 'proc', 'sys', 'dev', 'mnt', 'modules']) mkdirSync(join(root, d), { recursive: true });
  copyFileSync('/bin/busybox', join(root, 'bin', 'busybox'));
  chmodSync(join(root, 'bin', 'busybox'), 0o755);
  const mods = moduleOrder(kernel.version, BASE_MODULES);
  for (const m of mods) copyFileSync(m.file, join(root, 'modules', `${m.name}.ko`));
  writeFileSync(join(root, 'modules.order'), mods.map((m) => m.name).join('\n') + '\n');
  writeFileSync(join(root, 'init'), init(writableDirs()));
  chmodSync(join(root, 'init'), 0o755);
  writeFileSync(join(root, 'cmd.sh'), `${command}\n`);
  writeFileSync(join(root, 'stage2.sh'), STAGE2);
  const out = join(work, 'initrd.gz');
  execFileSync('sh', ['-c', `cd "${root}" && find . | cpio -o -H newc --quiet | gzip -1 > "${out}"`]);
  return out;
}

function boot(work, kernel, initrd, resultsDir) {
  const args = [
    '-m', '2048', '-smp', '2', '-nographic', '-no-reboot',
    // Software emulation: /dev/kvm exists on these machines but nested KVM hangs in the BIOS.
    '-accel', 'tcg,thread=multi', '-cpu', 'max',
    '-kernel', kernel.image, '-initrd', initrd,
    '-append', 'console=ttyS0 quiet panic=-1',
    '-nic', 'none',
    '-virtfs', 'local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap',
    '-virtfs', `local,path=${resultsDir},mount_tag=results,security_model=none`,
  ];
  return new Promise((resolve) => {
    const console = [];
    const q = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    q.stdout.on('data', (b) => console.push(b));
    q.stderr.on('data', (b) => console.push(b));
    const timer = setTimeout(() => {
      console.push(Buffer.from(`\nvm: the guest did not finish within ${TIMEOUT_MS / 1000} s; killed\n`));
      q.kill('SIGKILL');
    }, TIMEOUT_MS);
    q.on('exit', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(console).toString('utf8'));
    });
  });
}

const command = process.argv[2];
if (!command) {
  process.stderr.write('usage: node test/vm/run-in-vm.mjs "<command>"\n');
  process.exit(2);
}
ensurePackages();
const kernel = findKernel();
const work = mkdtempSync(join(tmpdir(), 'tscni-vm-'));
// Exit only after the finally: process.exit inside the try would skip it and leave the
// initramfs (and the guest's results) behind in /tmp on every run.
let exitCode = 2;
try {
  const results = join(work, 'results');
  mkdirSync(results);
  const initrd = buildInitramfs(work, kernel, command);
  log(`booting ${kernel.image}`);
  const started = Date.now();
  const consoleLog = await boot(work, kernel, initrd, results);
  const statusFile = join(results, 'status');
  if (!existsSync(statusFile)) {
    process.stderr.write(`vm: the guest did not finish the command; console log:\n${consoleLog}\n`);
  } else {
    process.stdout.write(readFileSync(join(results, 'output'), 'utf8'));
    exitCode = Number(readFileSync(statusFile, 'utf8').trim());
    log(`guest finished in ${((Date.now() - started) / 1000).toFixed(1)} s with status ${exitCode}`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
process.exit(exitCode);
