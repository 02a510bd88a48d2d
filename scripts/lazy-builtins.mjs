// An esbuild plugin that makes node's built-in modules load on first use instead of when the
// bundle's module graph is initialised. A plugin process pays for every built-in it loads
// (crypto, child_process, dgram, ... cost about 4 ms each at start-up, measured), and most
// execs use few of them: VERSION none, DEL of a ptp without ipMasq no crypto or
// child_process. Each built-in becomes a module whose exports are getters that require the
// real one when first read; esbuild's interop reads named imports at the call site
// (`(0, import_x.f)(...)`), so nothing is loaded before it is used.
import { createRequire, isBuiltin } from 'node:module';

const require = createRequire(import.meta.url);

/** Loaded by node before any user code runs: making them lazy would only add indirection. */
const ALREADY_LOADED = new Set(['fs', 'path', 'buffer', 'events', 'process', 'util', 'url', 'timers']);

const NAMESPACE = 'tscni-lazy-builtin';

/** @returns {import('esbuild').Plugin} */
export function lazyBuiltins() {
  return {
    name: 'lazy-builtins',
    setup(build) {
      build.onResolve({ filter: /^(node:)?[a-z_/]+$/ }, (args) => {
        const id = args.path.replace(/^node:/, '');
        // isBuiltin of the `node:` form also knows the scheme-only ones (node:sea).
        if (!isBuiltin(`node:${id}`) || ALREADY_LOADED.has(id)) return undefined;
        // The real module, required from inside the lazy wrapper.
        if (args.namespace === NAMESPACE) return { path: `node:${id}`, external: true };
        return { path: id, namespace: NAMESPACE };
      });
      build.onLoad({ filter: /.*/, namespace: NAMESPACE }, (args) => {
        const names = Object.keys(require(`node:${args.path}`)).filter((k) => k !== 'default' && k !== '__esModule');
        const getters = names.map((k) => `  ${JSON.stringify(k)}: { enumerable: true, get: () => load()[${JSON.stringify(k)}] },`).join('\n');
        return {
          loader: 'js',
          contents: [
            'let real;',
            `const load = () => (real ??= require(${JSON.stringify(`node:${args.path}`)}));`,
            `Object.defineProperties(exports, {\n${getters}\n});`,
            // `import x from 'node:os'` (the default export) gets the whole module.
            `Object.defineProperty(exports, 'default', { enumerable: false, get: load });`,
          ].join('\n'),
        };
      });
    },
  };
}
