// koffi's prebuilt native addon for this platform, as koffi's own loader would pick it. Both
// builds of the plugins carry that one file and load it with process.dlopen (the plain bundle
// from beside its core, the single executable from an asset): neither resolves the koffi
// package at run time, which costs a plugin process several milliseconds of module lookups.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

/** The folder of package `name` as seen from `from` (its package.json may not be exported). */
export function packageDir(name, from) {
  for (let dir = dirname(require.resolve(name, { paths: [from] })); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === name) return dir;
    if (dirname(dir) === dir) throw new Error(`cannot find the folder of package ${name}`);
  }
}

/** @returns {{ file: string, version: string, sha256: string }} */
export function koffiAddon() {
  const koffiDir = packageDir('koffi', join(root, 'packages/netlink'));
  const version = JSON.parse(readFileSync(join(koffiDir, 'package.json'), 'utf8')).version;
  const pkgDir = packageDir(`@koromix/koffi-${process.platform}-${process.arch}`, koffiDir);
  const libc = process.report.getReport().header.glibcVersionRuntime ? process.platform : 'musl';
  const file = join(pkgDir, `${libc}_${process.arch}`, 'koffi.node');
  if (!existsSync(file)) throw new Error(`no koffi addon for this platform at ${file}`);
  return { file, version, sha256: createHash('sha256').update(readFileSync(file)).digest('hex') };
}
