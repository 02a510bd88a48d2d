/**
 * `cnitool install DIR`: puts working plugins into a plugin directory (e.g. /opt/cni/bin)
 * that keep working after the checkout is gone: the one plugin bundle (a launcher, the core it
 * loads with its code cache, and the FFI addon) and a hard link to the launcher per plugin name.
 *
 * `cnitool install --sea DIR` installs the single executable (scripts/build-sea.mjs) the same
 * way; it carries its FFI library and Node itself, so nothing else is copied.
 */
import { copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The bundle every plugin name links to. */
export const BUNDLE = '.tscni';

/**
 * What the plain bundle's launcher loads from beside itself (scripts/bundle.mjs): the plugins'
 * core, its V8 code cache and the FFI addon, each named after its hash.
 */
const CORE_PREFIX = '.tscni-';

export interface InstallOptions {
  /** The built plugins (dist/plugins). */
  source: string;
  /** Where to install. */
  target: string;
}

/** Copies source's BUNDLE and its plugin-name hard links into target, each replaced atomically; the names. */
function installLinked(source: string, target: string, buildCommand: string): string[] {
  const bundle = join(source, BUNDLE);
  if (!existsSync(bundle)) throw new Error(`no plugins built in ${source} (run ${buildCommand})`);
  const bundleIno = statSync(bundle).ino;
  const names = readdirSync(source).filter((n) => n !== BUNDLE && statSync(join(source, n)).ino === bundleIno).sort();
  mkdirSync(target, { recursive: true });

  // The plain bundle's launcher loads files named after their hashes: they go in first, so a
  // launcher that is already in place finds its own.
  const cores = readdirSync(source).filter((n) => n.startsWith(CORE_PREFIX));
  for (const core of cores) {
    const staged = join(target, `${core}.tmp-${process.pid}`);
    copyFileSync(join(source, core), staged);
    renameSync(staged, join(target, core));
  }

  // Replace the bundle atomically so running plugins never see a half-written file.
  const tmp = join(target, `${BUNDLE}.tmp-${process.pid}`);
  copyFileSync(bundle, tmp);
  renameSync(tmp, join(target, BUNDLE));
  for (const name of names) {
    const link = join(target, name);
    const staged = `${link}.tmp-${process.pid}`;
    rmSync(staged, { force: true });
    linkSync(join(target, BUNDLE), staged);
    renameSync(staged, link);
  }
  // Files of earlier installs: no launcher names them any more.
  for (const n of readdirSync(target)) {
    if (n.startsWith(CORE_PREFIX) && !cores.includes(n)) rmSync(join(target, n), { force: true });
  }
  return names;
}

/**
 * Installs the plugins and returns their names.
 *
 * @example installPlugins({ source: 'dist/plugins', target: '/opt/cni/bin' }) // ['bridge', 'host-local', ...]
 */
export function installPlugins({ source, target }: InstallOptions): string[] {
  return installLinked(source, target, 'npm run build');
}

/**
 * Installs the single-executable plugins (built by `npm run build:sea`) and returns their names.
 *
 * @example installSea({ source: 'dist/sea', target: '/opt/cni/bin' }) // ['bridge', 'host-local', ...]
 */
export function installSea({ source, target }: InstallOptions): string[] {
  return installLinked(source, target, 'npm run build:sea');
}
