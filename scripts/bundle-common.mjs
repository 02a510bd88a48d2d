// What the two plugin builds share (scripts/bundle.mjs, scripts/build-sea.mjs): esbuild's
// options for one CommonJS file for Node 20, and the VERSION replies their launchers answer.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** @type {import('esbuild').BuildOptions} */
export const nodeBundle = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  logLevel: 'warning',
  legalComments: 'none',
  // libc.ts falls back to __filename where import.meta is empty, on purpose.
  logOverride: { 'empty-import-meta': 'silent' },
};

/** Each plugin's exact VERSION reply, by name (needs `tsc -b` first). */
export async function versionReplies() {
  const { PLUGINS, pluginNames } = await import(join(root, 'packages/plugins/lib/registry.js'));
  const { encodePluginInfo } = await import(join(root, 'packages/spec/lib/version.js'));
  return Object.fromEntries(pluginNames().map((name) => [name, encodePluginInfo(PLUGINS[name].info.versions)]));
}
