import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { scratchNetns, type ScratchNetns } from '@tscni/netlink/testing/scratch-netns';
import { runChain, type ChainList } from '../../testing/chain.js';
import { sandbox, type Sandbox } from '../../testing/sandbox.js';

/** 1 MB: about 2 s through a 4 Mbit/s limit, milliseconds without one. */
const BYTES = 1_000_000;
const LIMIT = { rate: 4_000_000, burst: 64_000 };

const RECEIVER = `
const [addr, port] = process.argv.slice(1);
const srv = require('net').createServer((s) => {
  const t0 = process.hrtime.bigint(); let n = 0;
  s.on('data', (d) => { n += d.length; });
  s.on('end', () => { console.log(JSON.stringify({ n, ms: Number(process.hrtime.bigint() - t0) / 1e6 })); srv.close(); });
});
srv.listen(Number(port), addr, () => console.log('ready'));
`;
const SENDER = `
const [addr, port, bytes] = process.argv.slice(1);
const s = require('net').connect(Number(port), addr, () => { s.end(Buffer.alloc(Number(bytes), 7)); });
`;

/** Sends BYTES from one namespace to a listener in another; the receiver's time from accept to end. */
async function transfer(from: string, to: string, addr: string): Promise<number> {
  const port = String(20000 + Math.floor(Math.random() * 20000));
  const rx = spawn('ip', ['netns', 'exec', to, process.execPath, '-e', RECEIVER, addr, port], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const lines: string[] = [];
    const done = new Promise<string>((resolve, reject) => {
      let buf = '';
      rx.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        const parts = buf.split('\n');
        buf = parts.pop()!;
        for (const p of parts) {
          lines.push(p);
          if (p !== 'ready') resolve(p);
        }
      });
      rx.on('exit', (code) => reject(new Error(`receiver exited with ${code}`)));
    });
    while (!lines.includes('ready')) await new Promise((r) => setTimeout(r, 10));
    const tx = spawnSync('ip', ['netns', 'exec', from, process.execPath, '-e', SENDER, addr, port, String(BYTES)], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(tx.status, 0, tx.stderr);
    const { n, ms } = JSON.parse(await done) as { n: number; ms: number };
    assert.equal(n, BYTES);
    return ms;
  } finally {
    rx.kill();
  }
}

function containerIP(result: Record<string, unknown>): { ip: string; gw: string } {
  const ip = (result['ips'] as { address: string; gateway: string }[])[0]!;
  return { ip: ip.address.split('/')[0]!, gw: ip.gateway };
}

describe('bandwidth end to end: a TCP transfer through a shaped container is slower', () => {
  let sb: Sandbox;
  let fast: ScratchNetns;
  before(() => {
    sb = sandbox('tscni-bwt-');
    fast = scratchNetns('tscni-bwt-f-');
  });
  after(() => {
    fast?.remove();
    sb?.remove();
  });

  const list = (subnet: string, bw: object): ChainList => ({
    name: 'bwtput',
    cniVersion: '1.0.0',
    plugins: [{ type: 'ptp', ipam: { type: 'host-local', subnet, dataDir: join(sb.dir, `ipam-${subnet.split('.')[2]}`) } }, { type: 'bandwidth', capabilities: { bandwidth: true }, ...bw }],
  });

  it('egress and ingress limits slow the container against an unshaped one; unshapedSubnets exempts the peer', async (t) => {
    const shapedList = list('10.251.50.0/24', {});
    const shaped = runChain(sb, shapedList, {
      command: 'ADD',
      containerID: 'slow',
      runtimeConfig: { bandwidth: { ingressRate: LIMIT.rate, ingressBurst: LIMIT.burst, egressRate: LIMIT.rate, egressBurst: LIMIT.burst } },
    });
    assert.equal(shaped.ok, true, shaped.steps.at(-1)?.outcome.stdout);
    const freeList = list('10.251.51.0/24', { unshapedSubnets: ['10.251.51.1/32'], ingressRate: LIMIT.rate, ingressBurst: LIMIT.burst });
    const free = runChain(sb, freeList, { command: 'ADD', containerID: 'fast', netns: fast.path });
    assert.equal(free.ok, true, free.steps.at(-1)?.outcome.stdout);
    const slow = containerIP(shaped.result!);
    const quick = containerIP(free.result!);

    // Container to host (egress: through the ifb) and host to container (ingress: the veth's tbf).
    const slowOut = await transfer(sb.cont.name, sb.host.name, slow.gw);
    const slowIn = await transfer(sb.host.name, sb.cont.name, slow.ip);
    const quickOut = await transfer(fast.name, sb.host.name, quick.gw);
    // The unshaped container has an ingress limit, but its peer's address is exempt.
    const quickIn = await transfer(sb.host.name, fast.name, quick.ip);
    const report = JSON.stringify({ slowOut, slowIn, quickOut, quickIn });
    t.diagnostic(`transfer times in ms: ${report}`);
    assert.ok(slowOut > 3 * quickOut, report);
    assert.ok(slowIn > 3 * quickIn, report);

    assert.equal(runChain(sb, shapedList, { command: 'DEL', containerID: 'slow', prevResult: shaped.result! }).ok, true);
    assert.equal(runChain(sb, freeList, { command: 'DEL', containerID: 'fast', netns: fast.path, prevResult: free.result! }).ok, true);
  });
});
