/**
 * The built loopback plugin in throw-away namespaces, and side by side with the Go reference
 * (/usr/lib/cni/loopback, v1.1.1): each side gets a fresh namespace of its own.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scratchNetns, type ScratchNetns } from '@tscni/netlink/testing/scratch-netns';
import { convertResult } from '@tscni/spec/result-convert';
import { resultFromBytes } from '@tscni/spec/result-decode';
import { printResult } from '@tscni/spec/result-print';
import { REFERENCE_DIR, runPlugin, type PluginCall, type PluginOutcome } from '../../testing/run-plugin.js';

const PREFIX = 'tscni-lo-test-';

/** Runs `fn` with `count` fresh namespaces, removed afterwards whatever happens. */
function withNamespaces(count: number, fn: (...ns: ScratchNetns[]) => void): void {
  const made: ScratchNetns[] = [];
  try {
    for (let i = 0; i < count; i++) made.push(scratchNetns(PREFIX));
    fn(...made);
  } finally {
    for (const ns of made) ns.remove();
  }
}

function call(command: PluginCall['command'], config: object, netns: string): PluginCall {
  // CNI_IFNAME is ignored by loopback: eth0 must not matter.
  return { command, config, containerID: 'ctr-lo-1', netns, ifName: 'eth0' };
}

const ours = (c: PluginCall) => runPlugin('loopback', c);
const reference = (c: PluginCall) => runPlugin('loopback', c, REFERENCE_DIR);

function succeeds(o: PluginOutcome): void {
  assert.equal(o.code, 0, `${o.stdout}${o.stderr}`);
}

function fails(o: PluginOutcome, code: number, msg: string): void {
  assert.equal(o.code, 1, o.stdout);
  assert.equal(o.json?.['code'], code, o.stdout);
  assert.equal(o.json?.['msg'], msg);
  assert.doesNotMatch(o.stdout + o.stderr, /\n\s+at /);
}

/** `ip -j link show lo` inside the namespace. */
function lo(ns: ScratchNetns): Record<string, unknown> {
  const [link] = JSON.parse(ns.exec('ip', ['-j', 'link', 'show', 'lo'])) as Record<string, unknown>[];
  return link!;
}

const isUp = (ns: ScratchNetns) => (lo(ns)['flags'] as string[]).includes('UP');

const conf = (cniVersion: string, extra: object = {}) => ({ cniVersion, name: 'lonet', type: 'loopback', ...extra });

/** A previous plugin's result, as a runtime would pass it to a chained loopback. */
const prevResult = {
  cniVersion: '1.0.0',
  interfaces: [{ name: 'eth0', mac: '0a:58:0a:01:00:05', sandbox: '/run/netns/elsewhere' }],
  ips: [{ interface: 0, address: '10.1.0.5/16', gateway: '10.1.0.1' }],
  routes: [{ dst: '0.0.0.0/0' }],
  dns: { nameservers: ['10.1.0.1'] },
};

describe('loopback plugin (built)', () => {
  it('ADD brings lo up and names it with its first IPv4 and IPv6 address (1.0.0)', () => {
    withNamespaces(1, (ns) => {
      assert.equal(isUp(ns), false);
      const r = ours(call('ADD', conf('1.0.0'), ns.path));
      succeeds(r);
      assert.deepEqual(r.json, {
        cniVersion: '1.0.0',
        interfaces: [{ name: 'lo', mac: '00:00:00:00:00:00', sandbox: ns.path }],
        ips: [
          { interface: 0, address: '127.0.0.1/8' },
          { interface: 0, address: '::1/128' },
        ],
      });
      assert.equal(isUp(ns), true);
      assert.equal(lo(ns)['operstate'], 'UNKNOWN');
    });
  });

  it('prints the result in the config version: 0.1.0 to 1.1.0', () => {
    withNamespaces(1, (ns) => {
      const ips040 = [
        { version: '4', interface: 0, address: '127.0.0.1/8' },
        { version: '6', interface: 0, address: '::1/128' },
      ];
      const iface = [{ name: 'lo', mac: '00:00:00:00:00:00', sandbox: ns.path }];
      const expected: Record<string, object> = {
        '0.1.0': { cniVersion: '0.1.0', ip4: { ip: '127.0.0.1/8' }, ip6: { ip: '::1/128' }, dns: {} },
        '0.2.0': { cniVersion: '0.2.0', ip4: { ip: '127.0.0.1/8' }, ip6: { ip: '::1/128' }, dns: {} },
        '0.3.0': { cniVersion: '0.3.0', interfaces: iface, ips: ips040, dns: {} },
        '0.3.1': { cniVersion: '0.3.1', interfaces: iface, ips: ips040, dns: {} },
        '0.4.0': { cniVersion: '0.4.0', interfaces: iface, ips: ips040, dns: {} },
        '1.1.0': { cniVersion: '1.1.0', interfaces: iface, ips: ips040.map(({ interface: i, address }) => ({ interface: i, address })) },
      };
      for (const [version, result] of Object.entries(expected)) {
        const r = ours(call('ADD', conf(version), ns.path));
        succeeds(r);
        assert.deepEqual(r.json, result, version);
      }
    });
  });

  it('passes a chained prevResult through unchanged, in the config version', () => {
    withNamespaces(1, (ns) => {
      const r = ours(call('ADD', conf('1.0.0', { prevResult }), ns.path));
      succeeds(r);
      assert.deepEqual(r.json, prevResult);
      assert.equal(isUp(ns), true);
      const old = ours(call('ADD', conf('0.4.0', { prevResult: { ...convertResult(prevResult, '0.4.0') } }), ns.path));
      succeeds(old);
      assert.deepEqual(old.json?.['ips'], [{ version: '4', interface: 0, address: '10.1.0.5/16', gateway: '10.1.0.1' }]);
      assert.deepEqual(old.json?.['interfaces'], prevResult.interfaces);
    });
  });

  it('CHECK passes while lo is up and fails once it is down', () => {
    withNamespaces(1, (ns) => {
      fails(ours(call('CHECK', conf('1.0.0'), ns.path)), 999, 'loopback interface is down');
      succeeds(ours(call('ADD', conf('1.0.0'), ns.path)));
      succeeds(ours(call('CHECK', conf('1.0.0'), ns.path)));
      succeeds(ours(call('CHECK', conf('0.4.0', { prevResult: convertResult(prevResult, '0.4.0') }), ns.path)));
      fails(ours(call('CHECK', conf('0.3.1'), ns.path)), 1, 'config version does not allow CHECK');
      ns.exec('ip', ['link', 'set', 'lo', 'down']);
      fails(ours(call('CHECK', conf('1.0.0'), ns.path)), 999, 'loopback interface is down');
    });
  });

  it('DEL brings lo down; DEL again, DEL after the namespace is gone and DEL without CNI_NETNS succeed', () => {
    let gone = '';
    withNamespaces(1, (ns) => {
      gone = ns.path;
      succeeds(ours(call('ADD', conf('1.0.0'), ns.path)));
      succeeds(ours(call('DEL', conf('1.0.0'), ns.path)));
      assert.equal(isUp(ns), false);
      assert.equal(lo(ns)['operstate'], 'DOWN');
      succeeds(ours(call('DEL', conf('1.0.0'), ns.path)));
      assert.equal(isUp(ns), false);
    });
    succeeds(ours(call('DEL', conf('1.0.0'), gone)));
    succeeds(ours(call('DEL', conf('1.0.0'), '')));
    // The reference agrees on both.
    succeeds(reference(call('DEL', conf('1.0.0'), gone)));
    succeeds(reference(call('DEL', conf('1.0.0'), '')));
  });

  it('refuses lo with an address that is not a loopback address', () => {
    withNamespaces(1, (ns) => {
      ns.exec('ip', ['addr', 'add', '10.1.2.3/32', 'dev', 'lo']);
      fails(ours(call('ADD', conf('1.0.0'), ns.path)), 999, 'loopback interface found with non-loopback address "10.1.2.3"');
    });
  });

  it('fails ADD in a namespace that does not exist, without a stack trace', () => {
    const r = ours(call('ADD', conf('1.0.0'), `/run/netns/${PREFIX}never-made`));
    assert.equal(r.code, 1, r.stdout);
    assert.doesNotMatch(r.stdout + r.stderr, /\n\s+at /);
  });
});

describe('loopback plugin against the reference', () => {
  /** A printed result, parsed and printed again, with the namespace path replaced. */
  const normalised = (o: PluginOutcome, ns: ScratchNetns) => printResult(resultFromBytes(o.stdout.split(ns.path).join('<netns>')));

  /** ADD, CHECK (where the version allows it), DEL and DEL again on each side, comparing results and lo after each step. */
  function sideBySide(config: object, checkable: boolean, compare: (mine: PluginOutcome, theirs: PluginOutcome, a: ScratchNetns, b: ScratchNetns) => void): void {
    withNamespaces(2, (a, b) => {
      assert.deepEqual(lo(a), lo(b));
      const [mine, theirs] = [ours(call('ADD', config, a.path)), reference(call('ADD', config, b.path))];
      succeeds(theirs);
      succeeds(mine);
      compare(mine, theirs, a, b);
      assert.deepEqual(lo(a), lo(b));
      if (checkable) {
        succeeds(ours(call('CHECK', config, a.path)));
        succeeds(reference(call('CHECK', config, b.path)));
      }
      for (let i = 0; i < 2; i++) {
        succeeds(ours(call('DEL', config, a.path)));
        succeeds(reference(call('DEL', config, b.path)));
        assert.deepEqual(lo(a), lo(b));
      }
      if (checkable) {
        const [m, t] = [ours(call('CHECK', config, a.path)), reference(call('CHECK', config, b.path))];
        assert.equal(m.json?.['msg'], t.json?.['msg']);
        fails(m, 999, 'loopback interface is down');
      }
    });
  }

  const same = (mine: PluginOutcome, theirs: PluginOutcome, a: ScratchNetns, b: ScratchNetns) => assert.equal(normalised(mine, a), normalised(theirs, b));

  it('gives the same result and lo state: 1.0.0', () => sideBySide(conf('1.0.0'), true, same));
  it('gives the same result and lo state: 1.0.0 chained', () => sideBySide(conf('1.0.0', { prevResult }), true, same));
  it('gives the same result and lo state: 0.4.0 chained', () => sideBySide(conf('0.4.0', { prevResult: convertResult(prevResult, '0.4.0') }), true, same));
  it('gives the same result and lo state: 0.3.0 chained', () => sideBySide(conf('0.3.0', { prevResult: convertResult(prevResult, '0.3.0') }), false, same));

  // The reference prints its 1.0.0-shaped result unconverted under an older version label:
  // 0.3.x/0.4.0 addresses without the required "version", 0.1.0/0.2.0 with interfaces and
  // ips instead of ip4/ip6. tscni converts; the contents agree once both are read as 1.0.0.
  for (const version of ['0.4.0', '0.3.1', '0.3.0']) {
    it(`gives the same result and lo state: ${version} (converted, where the reference is not)`, () =>
      sideBySide(conf(version), version === '0.4.0', (mine, theirs, a, b) => {
        const ips = (o: PluginOutcome) => o.json?.['ips'] as Record<string, unknown>[];
        assert.deepEqual(ips(mine).map((ip) => ip['version']), ['4', '6']);
        assert.deepEqual(ips(theirs).map((ip) => ip['version']), [undefined, undefined]);
        const asCurrent = (o: PluginOutcome, ns: ScratchNetns) => printResult(convertResult(resultFromBytes(normalised(o, ns)), '1.0.0'));
        const theirs100 = { ...theirs, stdout: theirs.stdout.replace(`"cniVersion": "${version}"`, '"cniVersion": "1.0.0"') };
        assert.equal(asCurrent(mine, a), asCurrent(theirs100, b));
      }));
  }
  for (const version of ['0.2.0', '0.1.0']) {
    it(`gives the same addresses and lo state: ${version} (ip4/ip6, where the reference prints 1.0.0 keys)`, () =>
      sideBySide(conf(version), false, (mine, theirs) => {
        assert.deepEqual(mine.json, { cniVersion: version, ip4: { ip: '127.0.0.1/8' }, ip6: { ip: '::1/128' }, dns: {} });
        assert.equal(theirs.json?.['cniVersion'], version);
        assert.equal(theirs.json?.['ip4'], undefined);
        const addresses = (theirs.json?.['ips'] as { address: string }[]).map((ip) => ip.address);
        assert.deepEqual(addresses, [(mine.json?.['ip4'] as { ip: string }).ip, (mine.json?.['ip6'] as { ip: string }).ip]);
      }));
  }

  it('fails the same way on a non-loopback address', () => {
    withNamespaces(2, (a, b) => {
      for (const ns of [a, b]) ns.exec('ip', ['addr', 'add', '192.0.2.9/32', 'dev', 'lo']);
      const [mine, theirs] = [ours(call('ADD', conf('1.0.0'), a.path)), reference(call('ADD', conf('1.0.0'), b.path))];
      assert.deepEqual(mine.json, theirs.json);
      assert.deepEqual(lo(a), lo(b));
    });
  });
});
