import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { printResult } from '@tscni/spec/result-print';
import { resultFromBytes } from '@tscni/spec/result-decode';
import { kernelState, masked, waitForDad } from '../../testing/kernel-state.js';
import { PLUGIN_DIR, REFERENCE_DIR } from '../../testing/run-plugin.js';
import { sandbox, type Sandbox } from '../../testing/sandbox.js';

const NAME = 'tscniflannel';

const IPV4_ENV = 'FLANNEL_NETWORK=10.91.0.0/16\nFLANNEL_SUBNET=10.91.17.1/24\nFLANNEL_MTU=1400\nFLANNEL_IPMASQ=true\n';
const IPV6_ENV = 'FLANNEL_IPV6_NETWORK=fd91::/48\nFLANNEL_IPV6_SUBNET=fd91:0:0:17::1/64\nFLANNEL_MTU=1400\nFLANNEL_IPMASQ=true\n';
const DUAL_ENV = IPV4_ENV + 'FLANNEL_IPV6_NETWORK=fd91::/48\nFLANNEL_IPV6_SUBNET=fd91:0:0:17::1/64\n';

interface Files {
  subnetFile: string;
  dataDir: string;
  ipamDir: string;
}

function files(sb: Sandbox, subnetEnv: string): Files {
  const subnetFile = join(sb.dir, 'subnet.env');
  writeFileSync(subnetFile, subnetEnv);
  return { subnetFile, dataDir: join(sb.dir, 'flannel'), ipamDir: join(sb.dir, 'ipam') };
}

function conf(f: Files, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { cniVersion: '1.0.0', name: NAME, type: 'flannel', subnetFile: f.subnetFile, dataDir: f.dataDir, ipam: { dataDir: f.ipamDir }, ...extra };
}

const stored = (f: Files, id = 'ctr1'): string => readFileSync(join(f.dataDir, id), 'utf8');
const ipJson = <T>(ns: { exec(c: string, a: readonly string[]): string }, args: string[]): T => JSON.parse(ns.exec('ip', ['-json', ...args])) as T;

/** Both sides' states equal, allowing the kernel a moment (carrier, DAD) to settle on either side. */
function assertSettledEqual(states: () => unknown[], ms = 3000): void {
  const end = Date.now() + ms;
  let [a, b] = states();
  while (Date.now() < end && !isDeepStrictEqual(a, b)) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    [a, b] = states();
  }
  assert.deepEqual(a, b);
}

const globalAddrs = (sb: Sandbox): string[] =>
  ipJson<{ ifname: string; addr_info: { local: string; prefixlen: number; scope: string }[] }[]>(sb.cont, ['addr', 'show', 'dev', 'eth0'])
    .flatMap((l) => l.addr_info)
    .filter((a) => a.scope === 'global')
    .map((a) => `${a.local}/${a.prefixlen}`);

/** A shell plugin in the sandbox that records its stdin per command; `cases` are `case` arms on CNI_COMMAND. */
function fakePlugin(sb: Sandbox, name: string, cases: string): { path: string; stdin(command: string): string } {
  const bin = join(sb.dir, 'bin');
  mkdirSync(bin, { recursive: true });
  const file = join(bin, name);
  writeFileSync(file, `#!/bin/sh\ncat > "$0.$CNI_COMMAND.stdin"\ncase "$CNI_COMMAND" in\n  ${cases}\nesac\n`);
  chmodSync(file, 0o755);
  return { path: `${bin}:${PLUGIN_DIR}`, stdin: (command) => readFileSync(`${file}.${command}.stdin`, 'utf8') };
}

describe('flannel', () => {
  const sandboxes: Sandbox[] = [];
  const make = (): Sandbox => {
    const sb = sandbox('tscni-flan-');
    sandboxes.push(sb);
    return sb;
  };
  after(() => sandboxes.forEach((sb) => sb.remove()));

  for (const [stack, env, wantAddrs, wantRoutes] of [
    ['IPv4', IPV4_ENV, ['10.91.17.2/24'], ['10.91.0.0/16']],
    ['IPv6', IPV6_ENV, ['fd91:0:0:17::2/64'], ['fd91::/48']],
    ['dual stack', DUAL_ENV, ['10.91.17.2/24', 'fd91:0:0:17::2/64'], ['10.91.0.0/16', 'fd91::/48']],
  ] as const) {
    it(`${stack}: ADD gives the container an address of the node's subnet through bridge + host-local; the file is stored; DEL, DEL again`, () => {
      const sb = make();
      const f = files(sb, env);
      const config = conf(f);
      const r = sb.run('flannel', { command: 'ADD', config });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const res = r.json as { cniVersion: string; interfaces: { name: string }[]; ips: { address: string; gateway: string }[]; routes: { dst: string }[] };
      assert.equal(res.cniVersion, '1.0.0');
      assert.deepEqual(res.interfaces.map((i) => i.name).filter((n) => !n.startsWith('veth')), ['cni0', 'eth0']);
      assert.deepEqual(res.ips.map((i) => i.address), wantAddrs);
      assert.deepEqual(res.routes.map((x) => x.dst), wantRoutes);
      assert.deepEqual(globalAddrs(sb), wantAddrs);
      // The delegate honoured flannel's MTU and the host got the gateway on the bridge.
      assert.equal(ipJson<{ mtu: number }[]>(sb.cont, ['link', 'show', 'eth0'])[0]!.mtu, 1400);
      assert.ok(ipJson<{ addr_info: { local: string }[] }[]>(sb.host, ['addr', 'show', 'dev', 'cni0'])[0]!.addr_info.some((a) => a.local === res.ips[0]!.gateway));
      const contRoutes = ipJson<{ dst: string }[]>(sb.cont, ['route', 'show']).concat(ipJson<{ dst: string }[]>(sb.cont, ['-6', 'route', 'show']));
      for (const dst of wantRoutes) assert.ok(contRoutes.some((x) => x.dst === dst), `${dst} in ${JSON.stringify(contRoutes)}`);
      // Stored: the exact delegate config, 0600 in a 0700 directory, no temporary left.
      const path = join(f.dataDir, 'ctr1');
      assert.equal(statSync(path).mode & 0o777, 0o600);
      assert.equal(statSync(f.dataDir).mode & 0o777, 0o700);
      assert.deepEqual(readdirSync(f.dataDir), ['ctr1']);
      const delegate = JSON.parse(stored(f)) as Record<string, unknown>;
      assert.equal(delegate['type'], 'bridge');
      assert.equal(delegate['name'], NAME);
      assert.equal(delegate['ipMasq'], false);
      // FLANNEL_IPMASQ=true: flanneld masquerades, so the delegate made no rules.
      assert.doesNotMatch(sb.host.exec('iptables-save', ['-t', 'nat']), /CNI-/);

      for (let i = 0; i < 2; i++) {
        const del = sb.run('flannel', { command: 'DEL', config });
        assert.equal(del.code, 0, del.stdout + del.stderr);
        assert.equal(existsSync(path), false);
      }
      assert.deepEqual(ipJson<{ ifname: string }[]>(sb.cont, ['link']).map((l) => l.ifname), ['lo']);
      assert.deepEqual(readdirSync(join(f.ipamDir, NAME)).filter((n) => /^[0-9a-f.:]+$/.test(n)), []);
    });
  }

  it('FLANNEL_IPMASQ=false: the delegate masquerades; a cniVersion 0.4.0 config gives a 0.4.0 result', () => {
    const sb = make();
    const f = files(sb, IPV4_ENV.replace('FLANNEL_IPMASQ=true', 'FLANNEL_IPMASQ=false'));
    const config = conf(f, { cniVersion: '0.4.0' });
    const r = sb.run('flannel', { command: 'ADD', config });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.json?.['cniVersion'], '0.4.0');
    assert.deepEqual((r.json?.['ips'] as { version: string; address: string }[]).map((i) => `${i.version} ${i.address}`), ['4 10.91.17.2/24']);
    assert.match(sb.host.exec('iptables-save', ['-t', 'nat']), /-A POSTROUTING -s 10\.91\.17\.2\/32 .* -j CNI-/);
    assert.equal(JSON.parse(stored(f))['cniVersion'], '0.4.0');
    const del = sb.run('flannel', { command: 'DEL', config });
    assert.equal(del.code, 0, del.stdout + del.stderr);
    assert.doesNotMatch(sb.host.exec('iptables-save', ['-t', 'nat']), /CNI-/);
  });

  it('DEL without a stored file succeeds and runs nothing; so does DEL with no subnet.env at all', () => {
    const sb = make();
    const f = files(sb, IPV4_ENV);
    const del = sb.run('flannel', { command: 'DEL', config: conf(f, { subnetFile: join(sb.dir, 'absent.env') }) });
    assert.equal(del.code, 0, del.stdout + del.stderr);
    assert.equal(del.stdout, '');
    assert.equal(existsSync(f.dataDir), false);
  });

  it('DEL uses the stored config: the ADD-time delegate, even after subnet.env and the config changed', () => {
    const sb = make();
    const f = files(sb, IPV4_ENV);
    const r = sb.run('flannel', { command: 'ADD', config: conf(f, { delegate: { bridge: 'tscnifl0' } }) });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    writeFileSync(f.subnetFile, 'garbage\nFLANNEL_MTU\n');
    const del = sb.run('flannel', { command: 'DEL', config: conf(f, { delegate: { type: 'ptp' }, runtimeConfig: { portMappings: [] } }) });
    assert.equal(del.code, 0, del.stdout + del.stderr);
    assert.deepEqual(ipJson<{ ifname: string }[]>(sb.cont, ['link']).map((l) => l.ifname), ['lo']);
    assert.equal(existsSync(join(f.dataDir, 'ctr1')), false);
  });

  it('a file written by the reference (its bytes, no cniVersion) is deleted through its delegate', () => {
    const sb = make();
    const f = files(sb, IPV4_ENV);
    const referenceBytes = `{"ipMasq":false,"ipam":{"dataDir":${JSON.stringify(f.ipamDir)},"ranges":[[{"subnet":"10.91.17.0/24"}]],"routes":[{"dst":"10.91.0.0/16"}],"type":"host-local"},"isGateway":true,"mtu":1400,"name":"${NAME}","type":"bridge"}`;
    // What the reference ADD would have left: its file, and the delegate's work done with it.
    const add = sb.run('bridge', { command: 'ADD', config: referenceBytes });
    assert.equal(add.code, 0, add.stdout + add.stderr);
    mkdirSync(f.dataDir, { mode: 0o700 });
    writeFileSync(join(f.dataDir, 'ctr1'), referenceBytes, { mode: 0o600 });
    const del = sb.run('flannel', { command: 'DEL', config: conf(f) });
    assert.equal(del.code, 0, del.stdout + del.stderr);
    assert.deepEqual(ipJson<{ ifname: string }[]>(sb.cont, ['link']).map((l) => l.ifname), ['lo']);
    assert.equal(existsSync(join(f.dataDir, 'ctr1')), false);
  });

  // Deliberate difference: the reference removes the file even when the delegate's DEL fails,
  // so a retried DEL finds nothing and the delegate's resources leak.
  it('a delegate DEL that fails: its error is passed on and the stored file is kept for the retry', () => {
    const sb = make();
    const f = files(sb, IPV4_ENV);
    const fake = fakePlugin(sb, 'fails-del', 'DEL) printf \'{"code":11,"msg":"try again: busy"}\'; exit 1;;');
    const id = 'ctr-fail';
    const bytes = `{"mtu":1400,"name":"${NAME}","type":"fails-del"}`;
    mkdirSync(f.dataDir, { recursive: true });
    writeFileSync(join(f.dataDir, id), bytes);
    const del = sb.run('flannel', { command: 'DEL', config: conf(f), containerID: id, path: fake.path });
    assert.equal(del.code, 1);
    assert.deepEqual(del.json, { code: 11, msg: 'try again: busy' });
    assert.equal(fake.stdin('DEL'), bytes);
    assert.equal(stored(f, id), bytes);
    // A delegate missing from CNI_PATH: the invoke error (999), the file kept too.
    writeFileSync(join(f.dataDir, id), bytes.replace('fails-del', 'no-such-plugin'));
    const missing = sb.run('flannel', { command: 'DEL', config: conf(f), containerID: id, path: fake.path });
    assert.equal(missing.json?.['code'], 999);
    assert.equal(missing.json?.['msg'], `failed to find plugin "no-such-plugin" in path [${fake.path.split(':').join(' ')}]`);
    assert.equal(existsSync(join(f.dataDir, id)), true);
    // Once the delegate can delete, the retry succeeds and removes the file.
    fakePlugin(sb, 'fails-del', 'DEL) exit 0;;');
    writeFileSync(join(f.dataDir, id), bytes);
    const retry = sb.run('flannel', { command: 'DEL', config: conf(f), containerID: id, path: fake.path });
    assert.equal(retry.code, 0, retry.stdout + retry.stderr);
    assert.equal(existsSync(join(f.dataDir, id)), false);
  });

  it('a delegate ADD that fails: its error as it is; the stored file (the bytes it got) stays for the DEL that follows', () => {
    const sb = make();
    const f = files(sb, IPV4_ENV);
    const fake = fakePlugin(sb, 'fails-add', 'ADD) printf \'{"code":7,"msg":"no","details":"why"}\'; exit 1;;\n  DEL) exit 0;;');
    const config = conf(f, { delegate: { type: 'fails-add' } });
    const r = sb.run('flannel', { command: 'ADD', config, path: fake.path });
    assert.equal(r.code, 1);
    assert.deepEqual(r.json, { code: 7, msg: 'no', details: 'why' });
    assert.equal(fake.stdin('ADD'), stored(f));
    const del = sb.run('flannel', { command: 'DEL', config, path: fake.path });
    assert.equal(del.code, 0, del.stdout + del.stderr);
    assert.equal(fake.stdin('DEL'), fake.stdin('ADD'));
    assert.equal(existsSync(join(f.dataDir, 'ctr1')), false);
    // A delegate type not in CNI_PATH: the reference's wrapped invoke error, code 999.
    const none = sb.run('flannel', { command: 'ADD', config: conf(f, { delegate: { type: 'no-such-plugin' } }), path: fake.path });
    assert.equal(none.json?.['code'], 999);
    assert.equal(none.json?.['msg'], `failed to delegate add: failed to find plugin "no-such-plugin" in path [${fake.path.split(':').join(' ')}]`);
  });

  it('a stored file that is not a NetConf: DEL succeeds, says why on stderr, keeps the file (as the reference)', () => {
    const sb = make();
    const f = files(sb, IPV4_ENV);
    mkdirSync(f.dataDir, { recursive: true });
    writeFileSync(join(f.dataDir, 'ctr1'), '{"type":5}');
    const del = sb.run('flannel', { command: 'DEL', config: conf(f) });
    assert.equal(del.code, 0, del.stdout);
    assert.match(del.stderr, /failed to parse netconf: json: cannot unmarshal number into Go struct field NetConf\.type of type string/);
    assert.equal(existsSync(join(f.dataDir, 'ctr1')), true);
  });

  it('runtimeConfig reaches the delegate config as a whole (portMappings), case-sensitive maps kept as given', () => {
    const sb = make();
    const f = files(sb, IPV4_ENV);
    const runtimeConfig = { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }], Custom: { a: '<b>' } };
    const config = conf(f, { runtimeConfig, delegate: { hairpinMode: true, isDefaultGateway: true } });
    const r = sb.run('flannel', { command: 'ADD', config });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const text = stored(f);
    assert.match(text, /"runtimeConfig":\{"Custom":\{"a":"\\u003cb\\u003e"\},"portMappings":\[\{"containerPort":80,"hostPort":8080,"protocol":"tcp"\}\]\}/);
    const delegate = JSON.parse(text) as Record<string, unknown>;
    assert.equal(delegate['hairpinMode'], true);
    assert.equal(delegate['isDefaultGateway'], true);
    assert.ok((r.json?.['routes'] as { dst: string }[]).some((x) => x.dst === '0.0.0.0/0'));
    assert.equal(sb.run('flannel', { command: 'DEL', config }).code, 0);
  });

  it('bad configs: the reference messages for the delegate, code 7, nothing stored', () => {
    const sb = make();
    const f = files(sb, IPV4_ENV);
    const cases: [Record<string, unknown>, string][] = [
      [{ delegate: { type: 5 } }, "'delegate' dictionary, if present, must have (string) 'type' field"],
      [{ delegate: { name: 'x' } }, "'delegate' dictionary must not have 'name' field, it'll be set by flannel"],
      [{ delegate: { ipam: { type: 'static' } } }, "'delegate' dictionary must not have 'ipam' field, it'll be set by flannel"],
      [{ delegate: [] }, 'config field delegate: expected an object, got array'],
      [{ dataDir: '' }, 'config field dataDir: must not be empty'],
    ];
    for (const [extra, msg] of cases) {
      const r = sb.run('flannel', { command: 'ADD', config: conf(f, extra) });
      assert.equal(r.code, 1);
      assert.deepEqual(r.json, { code: 7, msg });
    }
    // The subnet file is read before the delegate is looked at, as in the reference.
    writeFileSync(f.subnetFile, 'FLANNEL_NETWORK=10.91.0.0/16\nFLANNEL_SUBNET=10.91.17.1\n');
    const bad = sb.run('flannel', { command: 'ADD', config: conf(f, { delegate: { name: 'x' } }) });
    assert.deepEqual(bad.json, { code: 7, msg: `failed to load flannel 'subnet.env' file: ${f.subnetFile}:2: FLANNEL_SUBNET: invalid CIDR address: 10.91.17.1. Check the flannel pod log for this node.` });
    assert.equal(existsSync(f.dataDir), false);
    assert.deepEqual(ipJson<{ ifname: string }[]>(sb.cont, ['link']).map((l) => l.ifname), ['lo']);
  });

  it('CHECK does nothing and succeeds (the reference has no CHECK)', () => {
    const sb = make();
    const f = files(sb, IPV4_ENV);
    const r = sb.run('flannel', { command: 'CHECK', config: { ...conf(f), prevResult: { cniVersion: '1.0.0' } } });
    assert.equal(r.code, 0, r.stdout);
    assert.equal(r.stdout, '');
  });

  // There is no Go flannel here; the differential part is the delegate: the same flannel
  // config run once over tscni's bridge and host-local and once over the Go reference's.
  describe('differential: tscni delegates vs the Go reference delegates', () => {
    const SYSCTLS = ['net/ipv4/ip_forward', 'net/ipv6/conf/all/forwarding', 'net/ipv6/conf/{if}/accept_ra'];
    // A bridge's timers and its MAC-derived IDs differ between any two bridges.
    const state = (ns: Sandbox['host']): unknown => {
      const s = kernelState(ns, SYSCTLS);
      for (const l of s.links) if (l.data) l.data = Object.fromEntries(Object.entries(l.data).filter(([k]) => !/timer|_id$|^topology_change|^gc_|hash/.test(k)));
      return s;
    };
    const cases: [string, string, Record<string, unknown>][] = [
      ['IPv4', IPV4_ENV, {}],
      ['IPv6', IPV6_ENV, {}],
      ['dual stack', DUAL_ENV, {}],
      ['FLANNEL_IPMASQ=false (delegate ipMasq), 0.4.0', IPV4_ENV.replace('=true', '=false'), { cniVersion: '0.4.0' }],
      ['user ipam routes, hairpin and default gateway (kube-flannel.yml)', DUAL_ENV, { delegate: { hairpinMode: true, isDefaultGateway: true }, ipamRoutes: [{ dst: '10.96.0.0/12' }] }],
    ];
    for (const [title, env, extra] of cases) {
      it(title, () => {
        const sides = [false, true].map((reference) => {
          const sb = make();
          const f = files(sb, env);
          const { ipamRoutes, ...rest } = extra as { ipamRoutes?: unknown };
          const config = conf(f, { ...rest, ...(ipamRoutes ? { ipam: { dataDir: f.ipamDir, routes: ipamRoutes } } : {}) });
          const path = reference ? REFERENCE_DIR : `${PLUGIN_DIR}:${REFERENCE_DIR}`;
          return { sb, f, call: (command: 'ADD' | 'DEL') => sb.run('flannel', { command, config, path }) };
        });
        const adds = sides.map((s) => s.call('ADD'));
        adds.forEach((r) => assert.equal(r.code, 0, r.stdout + r.stderr));
        const outputs = sides.map((s, i) => ({
          result: printResult(masked(resultFromBytes(adds[i]!.stdout))).split(s.sb.cont.path).join('<netns>'),
          stored: stored(s.f).split(s.sb.dir).join('<dir>'),
        }));
        assert.deepEqual(outputs[0], outputs[1]);
        const kernel = (): unknown[] => sides.map((s) => ({ host: state(s.sb.host), cont: state(s.sb.cont), file: existsSync(join(s.f.dataDir, 'ctr1')) }));
        sides.forEach((s) => [s.sb.host, s.sb.cont].forEach((ns) => waitForDad(ns)));
        assertSettledEqual(kernel);
        sides.forEach((s) => {
          const del = s.call('DEL');
          assert.equal(del.code, 0, del.stdout + del.stderr);
        });
        assertSettledEqual(kernel);
      });
    }
  });
});
