/** The assets of the single executable (scripts/build-sea.mjs), by name. */

/** The plugins' core: main.ts bundled, which the launcher runs and DHCP workers evaluate. */
export const SEA_BUNDLE_ASSET = 'plugins.js';

/** V8's code cache of the core, made by the build with the Node it copies. */
export const SEA_CACHE_ASSET = 'plugins.cache';
