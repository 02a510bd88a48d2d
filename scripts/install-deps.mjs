// What the installers (scripts/ensure-deps.mjs for the tests and the demo,
// bench/ensure-bench-deps.mjs for the benchmark) share: Debian packages through apt, npm
// dependencies through `npm ci`. Node built-ins only, so that it runs before anything is
// installed; each step is skipped when there is nothing to do.
import { existsSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return r.status === 0;
}

/**
 * Installs the packages whose probe file is missing, as `tag` (for messages); exits the
 * process when that fails. `packages` is a list of [name, file that shows it is installed].
 */
export function ensureDebianPackages(tag, packages) {
  const missing = packages.filter(([, probe]) => !existsSync(probe)).map(([name]) => name);
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    console.error(`${tag}: missing Debian packages ${missing.join(' ')}; run as root or install them`);
    process.exit(1);
  }
  console.error(`${tag}: installing ${missing.join(' ')} from apt`);
  // Another installer may hold the dpkg lock for a while; the package lists are refreshed
  // only when the install fails without them (a fresh machine).
  const install = ['-o', 'DPkg::Lock::Timeout=600', 'install', '-y', '-q', '--no-install-recommends', ...missing];
  if (!run('apt-get', install) && !(run('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'update', '-q']) && run('apt-get', install))) {
    console.error(`${tag}: apt-get install ${missing.join(' ')} failed`);
    process.exit(1);
  }
}

/** `npm ci` when node_modules is absent or older than the lock file; exits the process when it fails. */
export function ensureNpmDependencies(tag) {
  const lock = join(root, 'package-lock.json');
  const marker = join(root, 'node_modules', '.package-lock.json');
  if (existsSync(marker) && !(existsSync(lock) && statSync(lock).mtimeMs > statSync(marker).mtimeMs + 1000)) return;
  console.error(`${tag}: installing npm dependencies (npm ci)`);
  if (!run('npm', ['ci', '--no-audit', '--no-fund'])) {
    console.error(`${tag}: npm ci failed`);
    process.exit(1);
  }
}
