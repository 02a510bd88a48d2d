#!/usr/bin/env node
// Builds every plugin into one Node single executable application (SEA): a copy of this node
// binary carrying the plugins bundle, so that a node needs no Node.js installed to run them.
// Writes DIR/.tscni and a hard link to it per plugin name (DIR usable as CNI_PATH; hard links
// as in dist/plugins, so that `du` and `cnitool install` see one 100 MB file).
//
//   node scripts/build-sea.mjs [--out DIR] [--no-code-cache]
//
// DIR defaults to $TSCNI_DIST/sea (dist/sea). Needs `tsc -b` first (npm run build:sea does it).
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import { nodeBundle, versionReplies } from './bundle-common.mjs';
import { koffiAddon } from './koffi-addon.mjs';
import { lazyBuiltins } from './lazy-builtins.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

const args = process.argv.slice(2);
const outArg = args.indexOf('--out');
const out = outArg >= 0 ? resolve(args[outArg + 1] ?? '') : join(root, process.env.TSCNI_DIST ?? 'dist', 'sea');
// Measured on Node 20.20 (hyperfine): the code cache saves ~9 ms a start (loopback VERSION
// 36 -> 28 ms, loopback ADD 52 -> 43 ms).
const useCodeCache = !args.includes('--no-code-cache');

const { SEA_BUNDLE_ASSET, SEA_CACHE_ASSET } = await import(join(root, 'packages/plugins/lib/sea-assets.js'));
const { wrapCommonJs } = await import(join(root, 'packages/plugins/lib/core-runner.js'));
const { pluginNames } = await import(join(root, 'packages/plugins/lib/registry.js'));
const KOFFI_ASSET = 'koffi.node';
const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/**
 * Node reads NODE_OPTIONS and NODE_EXTRA_CA_CERTS in a single executable too (measured on 20.20;
 * no sea-config key turns that off before Node 24), so a runtime's environment could load
 * code into every plugin start or cost it ~37 ms. The binary's own lookups of those names (the
 * C strings in .rodata, not the JS strings of the startup snapshot) are renamed to their
 * lower-case forms, which nobody sets. Each must be found exactly once, else the build stops.
 */
function hideNodeEnvironment(binary) {
  const bytes = readFileSync(binary);
  for (const name of ['NODE_OPTIONS', 'NODE_EXTRA_CA_CERTS']) {
    const pattern = Buffer.from(`\0${name}\0`);
    const hits = [];
    // A C string literal follows another one (non-zero byte before its terminator); the
    // snapshot's copies follow a length field ending in zero bytes.
    for (let i = bytes.indexOf(pattern); i >= 0; i = bytes.indexOf(pattern, i + 1)) if (bytes[i - 1] !== 0) hits.push(i);
    if (hits.length !== 1) throw new Error(`expected one C string ${name} in ${process.execPath}, found ${hits.length}: cannot build the SEA for this Node`);
    bytes.write(name.toLowerCase(), hits[0] + 1, 'latin1');
  }
  writeFileSync(binary, bytes, { mode: 0o755 });
}

/** The plugins bundle for the SEA: koffi is the embedded addon instead of node_modules. */
async function bundle(file, koffi) {
  const shim = 'tscni-sea-koffi';
  const loader = join(root, 'packages/netlink/lib/embedded-addon.js');
  await build({
    ...nodeBundle,
    entryPoints: [join(root, 'packages/plugins/lib/main.js')],
    outfile: file,
    plugins: [
      lazyBuiltins(),
      {
        name: 'koffi-from-sea',
        setup(b) {
          b.onResolve({ filter: /^koffi$/ }, () => ({ path: shim, namespace: shim }));
          b.onLoad({ filter: /.*/, namespace: shim }, () => ({
            resolveDir: root,
            loader: 'js',
            contents: [
              `const native = require(${JSON.stringify(loader)}).loadEmbeddedAddon(${JSON.stringify(KOFFI_ASSET)}, ${JSON.stringify(koffi.sha256)}, 'koffi');`,
              `if (native.version !== ${JSON.stringify(koffi.version)}) throw new Error('embedded koffi addon ' + native.version + ' is not ${koffi.version}');`,
              'module.exports = native;',
            ].join('\n'),
          }));
        },
      },
    ],
  });
}

function run(cmd, argv) {
  const r = spawnSync(cmd, argv, { encoding: 'utf8' });
  // postject's ELF library prints harmless warnings about note sections: shown only on failure.
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed (${r.status ?? r.signal}):\n${r.stdout}${r.stderr}`);
}

const stage = `${out}.tmp-${process.pid}`;
rmSync(stage, { recursive: true, force: true });
mkdirSync(stage, { recursive: true });
try {
  const koffi = koffiAddon();
  // The core (main.ts with every plugin) is an asset with the code cache made here, by the very
  // Node that becomes the executable; the main script is the small launcher that answers
  // VERSION from a table and otherwise runs the core (packages/plugins/src/sea-launcher.ts).
  const core = join(stage, 'plugins.js');
  await bundle(core, koffi);
  const coreCache = join(stage, 'plugins.cache');
  if (useCodeCache) writeFileSync(coreCache, new Script(wrapCommonJs(readFileSync(core, 'utf8')), { filename: core }).createCachedData());
  const main = join(stage, 'launcher.js');
  await build({
    ...nodeBundle,
    entryPoints: [join(root, 'packages/plugins/lib/sea-launcher.js')],
    outfile: main,
    define: { TSCNI_VERSION_REPLIES: JSON.stringify(await versionReplies()) },
  });
  const config = join(stage, 'sea-config.json');
  const blob = join(stage, 'sea.blob');
  writeFileSync(
    config,
    JSON.stringify({
      main,
      output: blob,
      disableExperimentalSEAWarning: true,
      useCodeCache,
      assets: { [SEA_BUNDLE_ASSET]: core, [KOFFI_ASSET]: koffi.file, ...(useCodeCache ? { [SEA_CACHE_ASSET]: coreCache } : {}) },
    }),
  );
  run(process.execPath, ['--experimental-sea-config', config]);

  const exe = join(stage, '.tscni');
  copyFileSync(process.execPath, exe);
  hideNodeEnvironment(exe);
  run(process.execPath, [require.resolve('postject/dist/cli.js'), exe, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', FUSE]);
  chmodSync(exe, 0o755);
  for (const f of [main, core, coreCache, config, blob]) rmSync(f, { force: true });
  for (const name of pluginNames()) linkSync(exe, join(stage, name));

  rmSync(out, { recursive: true, force: true });
  mkdirSync(dirname(out), { recursive: true });
  renameSync(stage, out);
} catch (e) {
  rmSync(stage, { recursive: true, force: true });
  throw e;
}
console.log(`built ${join(out, '.tscni')} (${pluginNames().length} plugin links${useCodeCache ? ', code cache' : ''})`);
