/**
 * `cnitool install DIR`: puts working plugins into a plugin directory (e.g. /opt/cni/bin)
 * that keep working after the checkout is gone: the one plugin bundle, a hard link to it per
 * plugin name, and the FFI library it loads (koffi and this platform's binary) under
 * DIR/node_modules, where the bundle's require finds it.
 *
 * `cnitool install --sea DIR` installs the single executable (scripts/build-sea.mjs) the same
 * way; it carries its FFI library and Node itself, so nothing else is copied.
 */
import { copyFileSync, cpSync, existsSync, linkSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The bundle every plugin name links to. */
export const BUNDLE = '.tscni';

export interface InstallOptions {
  /** The built plugins (dist/plugins). */
  source: string;
  /** Where to install. */
  target: string;
}

/** The root folder of an installed package, found from its entry point. */
function packageDir(fromDir: string, name: string): string {
  let dir = dirname(createRequire(join(fromDir, 'noop.js')).resolve(name));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === name) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find the folder of package ${name}`);
    dir = up;
  }
}

/** Copies source's BUNDLE and its plugin-name hard links into target, each replaced atomically; the names. */
function installLinked(source: string, target: string, buildCommand: string): string[] {
  const bundle = join(source, BUNDLE);
  if (!existsSync(bundle)) throw new Error(`no plugins built in ${source} (run ${buildCommand})`);
  const bundleIno = statSync(bundle).ino;
  const names = readdirSync(source).filter((n) => n !== BUNDLE && statSync(join(source, n)).ino === bundleIno).sort();
  mkdirSync(target, { recursive: true });

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
  return names;
}

/**
 * Installs the plugins and returns their names.
 *
 * @example installPlugins({ source: 'dist/plugins', target: '/opt/cni/bin' }) // ['bridge', 'host-local', ...]
 */
export function installPlugins({ source, target }: InstallOptions): string[] {
  const names = installLinked(source, target, 'npm run build');
  const koffi = packageDir(source, 'koffi');
  const native = packageDir(koffi, `@koromix/koffi-${process.platform}-${process.arch}`);
  const modules = join(target, 'node_modules');
  for (const [from, to] of [
    [koffi, join(modules, 'koffi')],
    [native, join(modules, '@koromix', `koffi-${process.platform}-${process.arch}`)],
  ] as const) {
    rmSync(to, { recursive: true, force: true });
    mkdirSync(dirname(to), { recursive: true });
    cpSync(from, to, { recursive: true, dereference: true });
  }
  return names;
}

/**
 * Installs the single-executable plugins (built by `npm run build:sea`) and returns their names.
 *
 * @example installSea({ source: 'dist/sea', target: '/opt/cni/bin' }) // ['bridge', 'host-local', ...]
 */
export function installSea({ source, target }: InstallOptions): string[] {
  return installLinked(source, target, 'npm run build:sea');
}
