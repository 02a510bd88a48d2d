#!/usr/bin/env node
// Runs every compiled test file with node's test runner, so that its closing summary
// (tests / pass / fail) is the last thing printed.
import { readdirSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function findTests(dir, out = []) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    if (name === 'node_modules') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) findTests(path, out);
    else if (name.endsWith('.test.js')) out.push(relative(root, path));
  }
  return out;
}

const only = process.argv.slice(2);
const files = [
  ...readdirSync(join(root, 'packages')).flatMap((p) => findTests(join(root, 'packages', p, 'lib'))),
  ...findTests(join(root, 'test', 'lib')),
]
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

if (files.length === 0) {
  console.error('run-tests: no test files found (did the build run?)');
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--test', '--test-reporter=spec', ...files], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, TSCNI_ROOT: root },
});
process.exit(r.status ?? 1);
