/**
 * `cnitool install DIR`: puts working plugins into a plugin directory (e.g. /opt/cni/bin)
 * that keep working after the checkout is gone: the one plugin bundle (a launcher, the core it
 * loads with its code cache, and the FFI addon), the native shim, a hard link to the shim per
 * plugin name and `tscni-server` (a link to the launcher).
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

/**
 * The native shim the plugin names link to when the build had a C compiler (it answers
 * VERSION, talks to tscni-server and otherwise runs BUNDLE).
 */
export const SHIM = '.tscni-shim';

/** The plugin server's name in a plugin directory (a link to BUNDLE; not a plugin). */
export const SERVER = 'tscni-server';

/**
 * Copies source's BUNDLE, SHIM and the names hard-linked to them into target, each replaced
 * atomically; the names.
 */
function installLinked(source: string, target: string, buildCommand: string): string[] {
  const bundle = join(source, BUNDLE);
  if (!existsSync(bundle)) throw new Error(`no plugins built in ${source} (run ${buildCommand})`);
  const entries = [BUNDLE, SHIM].filter((e) => existsSync(join(source, e)));
  const inodes = new Map(entries.map((e) => [statSync(join(source, e)).ino, e]));
  // Each name and the file it links to.
  const links = readdirSync(source)
    .filter((n) => !n.startsWith('.'))
    .map((n) => [n, inodes.get(statSync(join(source, n)).ino)] as const)
    .filter((l): l is readonly [string, string] => l[1] !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  mkdirSync(target, { recursive: true });

  // The plain bundle's launcher loads files named after their hashes (and the shim is one of
  // the `.tscni-` files): they go in first, so a launcher that is already in place finds its own.
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
  for (const [name, entry] of links) {
    const link = join(target, name);
    const staged = `${link}.tmp-${process.pid}`;
    rmSync(staged, { force: true });
    linkSync(join(target, entry), staged);
    renameSync(staged, link);
  }
  // Files of earlier installs: no launcher names them any more.
  for (const n of readdirSync(target)) {
    if (n.startsWith(CORE_PREFIX) && !cores.includes(n)) rmSync(join(target, n), { force: true });
  }
  return links.map(([name]) => name);
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
