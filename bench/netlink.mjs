#!/usr/bin/env node
// bench/netlink: kernel operations per second through tscni's rtnetlink client next to the
// same operations done with `ip`, in one run, in a throw-away namespace. Prints the ratio
// ours/ip of operations per second (higher is better for us).
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { withRtnlSocket } from '@tscni/netlink/rtnl/socket';
import { createLink, deleteLink, getLink } from '@tscni/netlink/rtnl/link';
import { addAddr, deleteAddr } from '@tscni/netlink/rtnl/addr';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 200);
const ns = `tscni-bench-${randomBytes(4).toString('hex')}`;
const path = `/run/netns/${ns}`;
const ip = (...args) => {
  const r = spawnSync('ip', ['-n', ns, ...args], { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')} failed`);
};

const route = await import('@tscni/netlink/rtnl/route').catch(() => undefined);

/** Median of per-operation times in ms. */
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time(fn) {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

execFileSync('ip', ['netns', 'add', ns]);
const rows = [];
try {
  ip('link', 'add', 'bench0', 'type', 'veth', 'peer', 'name', 'bench1');
  ip('link', 'set', 'bench0', 'up');
  withRtnlSocket({ netns: path }, (rt) => {
    const cases = [
      {
        name: 'link create+delete (veth pair)',
        ours: () => {
          createLink(rt, { name: 'tv0', info: { kind: 'veth', peer: { name: 'tv1' } } });
          deleteLink(rt, 'tv0');
        },
        theirs: () => {
          ip('link', 'add', 'tv0', 'type', 'veth', 'peer', 'name', 'tv1');
          ip('link', 'del', 'tv0');
        },
      },
      {
        name: 'address add+delete (IPv4)',
        ours: () => {
          addAddr(rt, 'bench0', { address: '10.99.0.2', prefixLength: 24 });
          deleteAddr(rt, 'bench0', { address: '10.99.0.2', prefixLength: 24 });
        },
        theirs: () => {
          ip('addr', 'add', '10.99.0.2/24', 'dev', 'bench0');
          ip('addr', 'del', '10.99.0.2/24', 'dev', 'bench0');
        },
      },
    ];
    if (route) {
      ip('addr', 'add', '10.98.0.2/24', 'dev', 'bench0');
      const oif = getLink(rt, 'bench0').index;
      cases.push({
        name: 'route add+delete (IPv4, via gateway)',
        ours: () => {
          route.addRoute(rt, { dst: '10.200.0.0/16', gateway: '10.98.0.1', oif });
          route.deleteRoute(rt, { dst: '10.200.0.0/16', gateway: '10.98.0.1', oif });
        },
        theirs: () => {
          ip('route', 'add', '10.200.0.0/16', 'via', '10.98.0.1', 'dev', 'bench0');
          ip('route', 'del', '10.200.0.0/16', 'via', '10.98.0.1', 'dev', 'bench0');
        },
      });
    }
    for (const c of cases) {
      const a = [];
      const b = [];
      // Interleaved so that both see the same machine load.
      for (let i = 0; i < ROUNDS; i++) {
        a.push(time(c.ours));
        b.push(time(c.theirs));
      }
      const ours = 1000 / median(a);
      const theirs = 1000 / median(b);
      rows.push({ operation: c.name, 'tscni ops/s': ours.toFixed(0), 'ip ops/s': theirs.toFixed(0), 'ratio tscni/ip': (ours / theirs).toFixed(1) });
    }
  });
} finally {
  spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
}
console.log(`bench/netlink: ${ROUNDS} rounds each, medians, ${new Date().toISOString()}`);
console.table(rows);
