#!/usr/bin/env node
// Bundles each executable entry point into one file under dist/, so that a plugin or the CLI
// starts by loading a single file (measured: ~15 ms faster than many small modules).
// The bundles are CommonJS so that they run wherever they are copied, with or without a
// package.json around them.
import { build } from 'esbuild';
import { chmodSync, linkSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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

const executables = [
  { entry: 'packages/cnitool/lib/main.js', out: 'cnitool', launcher: '#!/usr/bin/env node' },
  // Every plugin is one bundle: the first name holds it, the others are hard links to it.
  { entry: 'packages/plugins/lib/main.js', out: 'plugins/.tscni', launcher: PLUGIN_LAUNCHER },
];

rmSync(plugins, { recursive: true, force: true });
mkdirSync(plugins, { recursive: true });

for (const { entry, out, launcher } of executables) {
  const outfile = join(dist, out);
  await build({
    entryPoints: [join(root, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    banner: { js: launcher },
    logLevel: 'warning',
    legalComments: 'none',
    // A native module: resolved at run time from node_modules (cnitool install copies it).
    external: ['koffi'],
    // libc.ts falls back to __filename where import.meta is empty, on purpose.
    logOverride: { 'empty-import-meta': 'silent' },
  });
  chmodSync(outfile, 0o755);
}

const { pluginNames } = await import(join(root, 'packages/plugins/lib/registry.js'));
for (const name of pluginNames()) linkSync(join(plugins, '.tscni'), join(plugins, name));
