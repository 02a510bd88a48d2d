#!/usr/bin/env node
// Bundles each executable entry point into one file under dist/, so that a plugin or the CLI
// starts by loading a single file (measured: ~15 ms faster than many small modules).
// The bundles are CommonJS so that they run wherever they are copied, with or without a
// package.json around them.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import { nodeBundle, versionReplies } from './bundle-common.mjs';
import { buildShim, findCompiler } from './build-shim.mjs';
import { koffiAddon } from './koffi-addon.mjs';
import { lazyBuiltins } from './lazy-builtins.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// TSCNI_DIST builds elsewhere (inside the checkout, so that node_modules is found).
const dist = process.env.TSCNI_DIST ? join(root, process.env.TSCNI_DIST) : join(root, 'dist');
mkdirSync(dist, { recursive: true });
writeFileSync(join(dist, 'package.json'), '{ "type": "commonjs" }\n');

const plugins = join(dist, 'plugins');
// Plugins run with the runtime's environment, and Node would honour NODE_OPTIONS (anything from
// --require to --inspect) and NODE_EXTRA_CA_CERTS (measured: loopback VERSION 38 -> 75 ms) on
// every exec. The launcher line hides both from Node and parks their values in TSCNI_OPTS and
// TSCNI_CACERTS, from which a delegated plugin gets them back (@tscni/spec/invoke delegateEnv).
// coreutils env -S expands ${VAR} before it unsets anything. Kept under 128 bytes: kernels
// before 5.1 cut longer #! lines.
const PLUGIN_LAUNCHER =
  '#!/usr/bin/env -S -u NODE_OPTIONS -u NODE_EXTRA_CA_CERTS TSCNI_OPTS=${NODE_OPTIONS} TSCNI_CACERTS=${NODE_EXTRA_CA_CERTS} node';
if (PLUGIN_LAUNCHER.length > 127) throw new Error('plugin launcher line too long for older kernels');

const common = {
  ...nodeBundle,
  // A native module: cnitool resolves it from node_modules; the plugins' core loads its addon by path.
  external: ['koffi'],
  plugins: [lazyBuiltins()],
};

rmSync(plugins, { recursive: true, force: true });
mkdirSync(plugins, { recursive: true });

await build({ ...common, entryPoints: [join(root, 'packages/cnitool/lib/main.js')], outfile: join(dist, 'cnitool'), banner: { js: '#!/usr/bin/env node' } });
chmodSync(join(dist, 'cnitool'), 0o755);

// The plugins: a small launcher that every plugin name is a hard link to, and the plugins'
// bundle (the core) beside it with the V8 code cache of that exact file (packages/plugins/src/
// launcher.ts). The core's name carries its hash, so a launcher only ever loads the core and
// cache built with it, also while an install replaces them.
// koffi's native addon goes beside the core, which loads it from there by its hash-named path:
// no node_modules lookup at run time, and nothing else to install.
const koffi = koffiAddon();
const koffiFile = `.tscni-koffi-${koffi.sha256.slice(0, 16)}.node`;
copyFileSync(koffi.file, join(plugins, koffiFile));
const koffiBesideCore = {
  name: 'koffi-beside-core',
  setup(b) {
    b.onResolve({ filter: /^koffi$/ }, () => ({ path: 'koffi', namespace: 'tscni-koffi' }));
    b.onLoad({ filter: /.*/, namespace: 'tscni-koffi' }, () => ({
      loader: 'js',
      contents: [
        'const addon = { exports: {} };',
        `process.dlopen(addon, require('node:path').join(__dirname, ${JSON.stringify(koffiFile)}));`,
        `if (addon.exports.version !== ${JSON.stringify(koffi.version)}) throw new Error('koffi addon ' + addon.exports.version + ' is not ${koffi.version}');`,
        'module.exports = addon.exports;',
      ].join('\n'),
    }));
  },
};
const coreTmp = join(plugins, '.tscni-core.tmp.cjs');
await build({ ...common, entryPoints: [join(root, 'packages/plugins/lib/main.js')], outfile: coreTmp, plugins: [lazyBuiltins(), koffiBesideCore] });
const coreSource = readFileSync(coreTmp, 'utf8');
const coreHash = createHash('sha256').update(coreSource).digest('hex').slice(0, 12);
const coreFile = `.tscni-core-${coreHash}.cjs`;
const coreCache = `.tscni-core-${coreHash}.cache`;
renameSync(coreTmp, join(plugins, coreFile));
// The launcher's own wrapper, character for character: V8 checks the source it gets.
const { wrapCommonJs } = await import(join(root, 'packages/plugins/lib/core-runner.js'));
writeFileSync(join(plugins, coreCache), new Script(wrapCommonJs(coreSource), { filename: join(plugins, coreFile) }).createCachedData());

const { pluginNames } = await import(join(root, 'packages/plugins/lib/registry.js'));
const replies = await versionReplies();
await build({
  ...common,
  entryPoints: [join(root, 'packages/plugins/lib/launcher.js')],
  outfile: join(plugins, '.tscni'),
  banner: { js: PLUGIN_LAUNCHER },
  // Nothing but fs, path and vm: the launcher has no built-in worth deferring.
  plugins: [],
  define: {
    TSCNI_VERSION_REPLIES: JSON.stringify(replies),
    TSCNI_CORE_FILE: JSON.stringify(coreFile),
    TSCNI_CORE_CACHE: JSON.stringify(coreCache),
  },
});
chmodSync(join(plugins, '.tscni'), 0o755);

// The plugin names link to the native shim (packages/plugins/shim/shim.c): it answers VERSION
// itself, hands the other commands to a running tscni-server, and otherwise execs `.tscni`.
// Without a C compiler the names link to `.tscni` directly and every exec starts Node.
const cc = findCompiler();
let entry = '.tscni';
if (cc) {
  buildShim({ out: join(plugins, '.tscni-shim'), coreHash, replies, cc });
  entry = '.tscni-shim';
} else {
  console.warn('bundle: no C compiler (cc): the plugins run without the shim, so every exec starts Node and no tscni-server is used (install gcc and libc6-dev)');
}
for (const name of pluginNames()) linkSync(join(plugins, entry), join(plugins, name));
// The warm server the shim talks to; the launcher runs it by this name.
linkSync(join(plugins, '.tscni'), join(plugins, 'tscni-server'));
