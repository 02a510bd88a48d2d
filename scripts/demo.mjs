#!/usr/bin/env node
// `npm start`: tscni's main job. A demo container (a network namespace) is connected to the
// default network (examples/net.d/10-tscni.conflist: bridge + host-local) with cnitool; the
// result and the interface are shown, the container pings its gateway and a second container,
// CHECK confirms the attachment, then both are disconnected and everything made is removed.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cnitool = join(root, 'dist', 'cnitool');
const ours = join(root, 'dist', 'plugins');
const netconf = join(root, 'examples', 'net.d');
const network = 'tscni';
const bridge = 'tscni0';
const needed = ['bridge', 'host-local'];
// tscni's own plugins; the Go reference ones from Debian while ours are not all built yet.
const pluginDir = needed.every((p) => existsSync(join(ours, p))) ? ours : '/usr/lib/cni';
const tag = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
const containers = [`tscni-demo-a-${tag}`, `tscni-demo-b-${tag}`];

const env = { ...process.env, NETCONFPATH: netconf, CNI_PATH: pluginDir };
const say = (s) => console.log(`\n\x1b[1m==> ${s}\x1b[0m`);
const show = (cmd, args) => process.stdout.write(execFileSync(cmd, args, { encoding: 'utf8' }));

function cni(command, ns) {
  const r = spawnSync(cnitool, [command, network, `/run/netns/${ns}`], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cnitool ${command} ${ns} failed: ${r.stderr || r.stdout}`);
  return r.stdout;
}

function ping(ns, address) {
  const r = spawnSync('ip', ['netns', 'exec', ns, 'ping', '-c', '1', '-W', '2', address], { encoding: 'utf8' });
  process.stdout.write(r.stdout.split('\n').filter((l) => /bytes from|packet loss/.test(l)).join('\n') + '\n');
  if (r.status !== 0) throw new Error(`${ns} cannot reach ${address}`);
}

const bridgeExisted = spawnSync('ip', ['link', 'show', bridge], { stdio: 'ignore' }).status === 0;
const added = [];
let failed = false;
try {
  say(`network "${network}" from ${netconf}; plugins from ${pluginDir}`);
  const [a, b] = containers;
  for (const ns of containers) execFileSync('ip', ['netns', 'add', ns]);

  say(`cnitool add ${network} /run/netns/${a}`);
  const result = JSON.parse(cni('add', a));
  added.push(a);
  console.log(JSON.stringify(result, null, 2));
  const gateway = result.ips?.[0]?.gateway;

  say(`the interface inside ${a}`);
  show('ip', ['-n', a, 'addr', 'show', 'eth0']);
  show('ip', ['-n', a, 'route']);

  say(`${a} pings its gateway ${gateway}`);
  ping(a, gateway);

  say(`cnitool check ${network} /run/netns/${a}`);
  cni('check', a);
  console.log('CHECK passed');

  say(`a second container, ${b}, and the two ping each other`);
  const other = JSON.parse(cni('add', b));
  added.push(b);
  ping(a, other.ips[0].address.split('/')[0]);
  ping(b, result.ips[0].address.split('/')[0]);

  say('it works: the containers are on the network, reach their gateway and each other');
} catch (e) {
  failed = true;
  console.error(`\ndemo failed: ${e.message}`);
} finally {
  for (const ns of added.reverse()) {
    say(`cnitool del ${network} /run/netns/${ns}`);
    try {
      cni('del', ns);
    } catch (e) {
      failed = true;
      console.error(e.message);
    }
  }
  for (const ns of containers) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  // The bridge plugin keeps its bridge on DEL (so does the reference); the demo made it.
  if (!bridgeExisted) spawnSync('ip', ['link', 'del', bridge], { stdio: 'ignore' });
  say('cleaned up');
}
process.exit(failed ? 1 : 0);
