#!/usr/bin/env node
// Bundles each executable entry point into one file under dist/, so that a plugin or the CLI
// starts by loading a single file (measured: ~15 ms faster than many small modules).
// The bundles are CommonJS so that they run wherever they are copied, with or without a
// package.json around them.
import { build } from 'esbuild';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
mkdirSync(dist, { recursive: true });
writeFileSync(join(dist, 'package.json'), '{ "type": "commonjs" }\n');

const executables = [{ entry: 'packages/cnitool/lib/main.js', out: 'cnitool' }];

for (const { entry, out } of executables) {
  const outfile = join(dist, out);
  await build({
    entryPoints: [join(root, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    banner: { js: '#!/usr/bin/env node' },
    logLevel: 'warning',
    legalComments: 'none',
  });
  chmodSync(outfile, 0o755);
}
