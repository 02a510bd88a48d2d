#!/usr/bin/env node
// The benchmark's runtime on tscni's own libcni (@tscni/libcni): the same line protocol as
// bench/go-driver (one JSON request per line on stdin, one JSON answer per line on stdout),
// so that bench/run.mjs can put either runtime in front of either plugin set. It stays up
// for the whole run, as a container runtime does, and times only the library call.
import { createInterface } from 'node:readline';
import { CNIConfig, networkConfFromBytes } from '@tscni/libcni';

/** Go's %v of an error is its message; ours carry the same texts. */
function message(e) {
  return e instanceof Error ? e.message : String(e);
}

async function runOne(cni, op, list, rt) {
  try {
    if (op === 'add') {
      const result = await cni.addNetworkList(list, rt);
      return { ok: true, result };
    }
    // handle() has already refused any other operation.
    if (op === 'check') await cni.checkNetworkList(list, rt);
    else await cni.delNetworkList(list, rt);
    return { ok: true };
  } catch (e) {
    return { ok: false, error: message(e) };
  }
}

async function handle(req) {
  const base = { id: req.id };
  if (!['add', 'check', 'del', 'addMany', 'delMany'].includes(req.op)) return { ...base, ok: false, error: `unknown op "${req.op}"` };
  let list;
  try {
    // Parsing is the runtime's start-up work, not the operation's: untimed.
    list = networkConfFromBytes(JSON.stringify(req.conflist));
  } catch (e) {
    return { ...base, ok: false, error: message(e) };
  }
  const cni = new CNIConfig({ path: req.path, cacheDir: req.cacheDir, stderr: null });
  if (req.op === 'addMany' || req.op === 'delMany') {
    const op = req.op === 'addMany' ? 'add' : 'del';
    const start = performance.now();
    const outcomes = await Promise.all(req.rts.map((rt) => runOne(cni, op, list, rt)));
    return { ...base, ok: true, ms: performance.now() - start, outcomes };
  }
  const start = performance.now();
  const outcome = await runOne(cni, req.op, list, req.rt);
  return { ...base, ms: performance.now() - start, ...outcome };
}

const lines = createInterface({ input: process.stdin });
// Requests are answered in order, one at a time, as the Go driver does.
let queue = Promise.resolve();
lines.on('line', (line) => {
  queue = queue.then(async () => {
    let req;
    try {
      req = JSON.parse(line);
    } catch (e) {
      process.stdout.write(`${JSON.stringify({ id: -1, ok: false, error: `bad request: ${message(e)}` })}\n`);
      return;
    }
    if (req.op === 'quit') process.exit(0);
    process.stdout.write(`${JSON.stringify(await handle(req))}\n`);
  });
});
