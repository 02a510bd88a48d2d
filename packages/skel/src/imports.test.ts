// Keeps VERSION cheap: what a plugin loads before it can answer VERSION is the static import
// graph of the package index, which must stay free of the heavy modules.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

function resolveSpecifier(spec: string, from: string): string | undefined {
  if (spec.startsWith('node:')) return spec;
  if (spec.startsWith('.')) return resolve(dirname(from), spec);
  if (spec.startsWith('@tscni/spec/')) return require.resolve(spec);
  return spec;
}

/** Every module reachable through static `import`/`export ... from` (type-only ones are erased by tsc). */
function staticGraph(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    if (file.startsWith('node:')) return;
    const src = readFileSync(file, 'utf8');
    for (const m of src.matchAll(/^(?:import|export)\s[^;]*?from\s+'([^']+)'/gms)) {
      const target = resolveSpecifier(m[1]!, file);
      if (target) visit(target);
    }
    for (const m of src.matchAll(/^import\s+'([^']+)'/gm)) {
      const target = resolveSpecifier(m[1]!, file);
      if (target) visit(target);
    }
  };
  visit(entry);
  return seen;
}

describe('the VERSION path', () => {
  const graph = [...staticGraph(resolve(here, 'index.js'))].map((f) => f.replace(/^.*\/(spec|skel)\/lib\//, '$1/'));
  it('loads no result, config-parsing, validation or exec machinery', () => {
    const heavy = graph.filter((f) =>
      /result-(print|convert|decode)|\/ip\.js|validate\.js|prev-result|cmd-args|call-handler|spec\/config|spec\/invoke|child_process/.test(f),
    );
    assert.deepEqual(heavy, []);
  });
  it('loads the spec modules VERSION needs', () => {
    assert.ok(graph.includes('spec/version.js'));
    assert.ok(graph.includes('spec/errors.js'));
  });
});
