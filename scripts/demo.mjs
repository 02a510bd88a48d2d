#!/usr/bin/env node
// `npm start`: tscni's main job. Two demo containers (network namespaces) are connected to
// the default network (examples/net.d/10-tscni.conflist: bridge + host-local, portmap,
// tuning) with cnitool, one serves HTTP and the other fetches from it across the bridge;
// then both are disconnected and everything the demo made is removed.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cnitool = join(root, 'dist', 'cnitool');
const ours = join(root, 'dist', 'plugins');
// tscni's own plugins when they are built; until then the Go reference plugins from Debian.
const pluginDir = existsSync(join(ours, 'bridge')) ? ours : '/usr/lib/cni';
const netconf = join(root, 'examples', 'net.d');
const network = 'tscni';
const bridge = 'tscni0';
const tag = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
const containers = [`tscni-demo-a-${tag}`, `tscni-demo-b-${tag}`];

const env = { ...process.env, NETCONFPATH: netconf, CNI_PATH: pluginDir };
const say = (s) => console.log(`\x1b[1m==> ${s}\x1b[0m`);
const ip = (...args) => execFileSync('ip', args, { encoding: 'utf8' });

function cni(command, ns, extraEnv = {}) {
  const r = spawnSync(cnitool, [command, network, `/run/netns/${ns}`], { env: { ...env, ...extraEnv }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cnitool ${command} ${ns} failed: ${r.stderr || r.stdout}`);
  return r.stdout;
}

const bridgeExisted = spawnSync('ip', ['link', 'show', bridge], { stdio: 'ignore' }).status === 0;
const added = [];
let server;
let failed = false;
try {
  say(`plugins from ${pluginDir}, network "${network}" from ${netconf}`);
  for (const ns of containers) {
    ip('netns', 'add', ns);
    say(`cnitool add ${network} /run/netns/${ns}`);
    const result = JSON.parse(cni('add', ns));
    added.push(ns);
    const addr = result.ips?.[0]?.address;
    console.log(`${ns}: eth0 ${addr}, gateway ${result.ips?.[0]?.gateway}`);
  }
  say(`inside ${containers[0]}`);
  process.stdout.write(ip('-n', containers[0], '-br', 'addr'));
  process.stdout.write(ip('-n', containers[0], 'route'));

  const serverAddr = ip('-n', containers[0], '-j', 'addr', 'show', 'eth0');
  const address = JSON.parse(serverAddr)[0].addr_info.find((a) => a.family === 'inet').local;
  say(`HTTP server in ${containers[0]} on ${address}:8080, client in ${containers[1]}`);
  server = spawn('ip', ['netns', 'exec', containers[0], process.execPath, '-e',
    `require('http').createServer((q, s) => s.end('hello from ${containers[0]}\\n')).listen(8080, '${address}', () => console.log('ready'))`],
  { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((res, rej) => {
    server.stdout.once('data', res);
    server.once('exit', (c) => rej(new Error(`server exited with ${c}`)));
  });
  const client = spawnSync('ip', ['netns', 'exec', containers[1], process.execPath, '-e',
    `fetch('http://${address}:8080/').then(r => r.text()).then(t => process.stdout.write(t), e => { console.error(e.message); process.exit(1) })`],
  { encoding: 'utf8', timeout: 10000 });
  if (client.status !== 0) throw new Error(`the client could not reach the server: ${client.stderr}`);
  console.log(`${containers[1]} got: ${client.stdout.trim()}`);
  say('it works: both containers are on the network and reach each other');
} catch (e) {
  failed = true;
  console.error(`demo failed: ${e.message}`);
} finally {
  server?.kill();
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
  if (!bridgeExisted) spawnSync('ip', ['link', 'del', bridge], { stdio: 'ignore' });
  say('cleaned up');
}
process.exit(failed ? 1 : 0);
