import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { invokeHandler } from '@tscni/skel';
import { kernelMac, mergedSysctls, readTuningConf } from './config.js';
import { handlers, tuningHandlers } from './index.js';
import { decodeAttrs, encodeAttrs, savedAttrsPath } from './saved-attrs.js';
import { sysctlEntries } from './sysctl-entries.js';
import { checkAllowed, readAllowlist, sysctlFile } from './sysctls.js';

const conf = (extra: Record<string, unknown>): string => JSON.stringify({ cniVersion: '1.0.0', name: 'tun', type: 'tuning', ...extra });
const PREV = { cniVersion: '1.0.0', interfaces: [{ name: 'eth0', mac: '02:00:00:00:00:01', sandbox: '/run/netns/x' }], ips: [{ address: '10.9.0.2/24', interface: 0 }] };

describe('tuning sysctl entries (duplicates, merging, types)', () => {
  it('keeps the document order and refuses a key given twice, as the reference (code 7 here)', () => {
    assert.deepEqual(sysctlEntries('{"sysctl":{"net.b":"1","net.a":"2"}}'), [
      ['net.b', '1'],
      ['net.a', '2'],
    ]);
    assert.throws(() => sysctlEntries('{"x":[1,{"y":2}],"sysctl":{"net.a":"1","net.a":"2"}}'), { code: 7, message: 'duplicated sysctl keys are not allowed' });
  });

  it('merges every key spelled sysctl in any case, as Go fills one map; null empties it', () => {
    assert.deepEqual(sysctlEntries('{"sysctl":{"net.a":"1"},"SysCtl":{"net.b":"2"}}'), [
      ['net.a', '1'],
      ['net.b', '2'],
    ]);
    assert.throws(() => sysctlEntries('{"sysctl":{"net.a":"1"},"SYSCTL":{"net.a":"1"}}'), { code: 7 });
    assert.deepEqual(sysctlEntries('{"sysctl":{"net.a":"1"},"Sysctl":null}'), []);
    assert.deepEqual(sysctlEntries('{"name":"x","ipam":{"sysctl":{"a":"1","a":"1"}}}'), []);
  });

  it('says where a value has the wrong type', () => {
    assert.throws(() => sysctlEntries('{"sysctl":{"net.a":1}}'), { code: 7, message: 'config field sysctl.net.a: expected a string, got number' });
    assert.throws(() => sysctlEntries('{"sysctl":"net.a"}'), { code: 7, message: 'config field sysctl: expected an object, got string' });
  });

  it('leaves malformed JSON to the config reader', () => {
    assert.deepEqual(sysctlEntries('{"sysctl":{"a'), []);
    assert.deepEqual(sysctlEntries('[1]'), []);
  });

  it('reads strings with escapes and nested values around the map', () => {
    assert.deepEqual(sysctlEntries('{"a":{"b":[{"}":"{"}]},"sysctl":{"net.\\"q\\"":"v\\u0041"},"z":true}'), [['net."q"', 'vA']]);
  });
});

describe('tuning sysctl files and allow-list', () => {
  it('replaces dots, then the first IFNAME, so VLAN names survive (HEAD order)', () => {
    assert.equal(sysctlFile('net.ipv4.conf.IFNAME.arp_filter', 'eth0.100'), '/proc/sys/net/ipv4/conf/eth0.100/arp_filter');
    assert.equal(sysctlFile('net.core.somaxconn', 'eth0'), '/proc/sys/net/core/somaxconn');
    assert.equal(sysctlFile('net/ipv6/conf/IFNAME/IFNAME', 'eth0'), '/proc/sys/net/ipv6/conf/eth0/IFNAME');
  });

  it('refuses keys outside /proc/sys/net/ with the reference message (every dot is a slash, so no ..)', () => {
    assert.throws(() => sysctlFile('kernel.shmmax', 'eth0'), { code: 7, message: 'invalid net sysctl key: "kernel/shmmax"' });
    assert.equal(sysctlFile('net/../kernel/shmmax', 'eth0'), '/proc/sys/net/kernel/shmmax');
    assert.throws(() => sysctlFile('netfilter.x', 'eth0'), { code: 7, message: 'invalid net sysctl key: "netfilter/x"' });
  });

  it('matches allow-list patterns unanchored against the raw key, with the reference message', () => {
    const list = ['^net\\.core\\.', 'IFNAME\\.arp_filter$', '(?i)^NET\\.IPV6\\.'];
    checkAllowed(['net.core.somaxconn', 'net.ipv4.conf.IFNAME.arp_filter', 'net.ipv6.conf.all.forwarding'], list);
    checkAllowed(['anything'], undefined);
    assert.throws(() => checkAllowed(['net.ipv4.ip_forward'], list), {
      code: 7,
      message: 'Sysctl net.ipv4.ip_forward is not allowed. Only the following sysctls are allowed: [^net\\.core\\. IFNAME\\.arp_filter$ (?i)^NET\\.IPV6\\.]',
    });
    assert.throws(() => checkAllowed(['net.a'], ['(']), { code: 999 });
  });

  it('reads the allow-list file: trimmed non-empty lines; no file, no list', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tscni-tuning-al-'));
    try {
      writeFileSync(join(dir, 'allowlist.conf'), '  ^net\\.core\\.somaxconn$ \n\n\t^net\\.ipv4\\.\n');
      assert.deepEqual(readAllowlist(join(dir, 'allowlist.conf')), ['^net\\.core\\.somaxconn$', '^net\\.ipv4\\.']);
      assert.equal(readAllowlist(join(dir, 'none.conf')), undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('tuning config', () => {
  it('MAC precedence: config < CNI_ARGS < runtimeConfig < args.cni, as written', () => {
    const c = (extra: Record<string, unknown>, args = '') => readTuningConf({ stdinData: conf(extra), args }).mac?.text;
    assert.equal(c({ mac: '02:00:00:00:00:01' }), '02:00:00:00:00:01');
    assert.equal(c({ mac: '02:00:00:00:00:01' }, 'MAC=02:00:00:00:00:02'), '02:00:00:00:00:02');
    assert.equal(c({ mac: '02:00:00:00:00:01', runtimeConfig: { mac: '02:00:00:00:00:03' } }, 'MAC=02:00:00:00:00:02'), '02:00:00:00:00:03');
    assert.equal(c({ runtimeConfig: { mac: '02:00:00:00:00:03' }, args: { cni: { mac: 'C2:00:00:00:00:04' } } }), 'C2:00:00:00:00:04');
    // A present but empty args.cni.mac clears it, as the reference's pointer does.
    assert.equal(c({ mac: '02:00:00:00:00:01', args: { cni: { mac: '' } } }), undefined);
    assert.equal(readTuningConf({ stdinData: conf({}), args: 'MAC=zz' }).mac?.code, 4);
  });

  it('args.cni replaces promisc, mtu, allmulti and txQLen; keys in any case', () => {
    const c = readTuningConf({ stdinData: conf({ Promisc: true, MTU: 1400, allmulti: true, txqlen: 10, args: { CNI: { promisc: false, mtu: 1300, allMulti: false, txQLen: 0 } } }), args: '' });
    assert.deepEqual([c.promisc, c.mtu, c.allmulti, c.txQLen], [false, 1300, false, 0]);
    const d = readTuningConf({ stdinData: conf({}), args: '' });
    assert.deepEqual([d.promisc, d.mtu, d.allmulti, d.txQLen, d.dataDir], [false, 0, undefined, undefined, '/run/cni/tuning']);
  });

  it('args.cni.sysctl without a sysctl key applies (the reference panics on the nil map)', () => {
    const c = readTuningConf({ stdinData: conf({ args: { cni: { sysctl: { 'net.core.somaxconn': '600' } } } }), args: '' });
    assert.deepEqual(mergedSysctls([], c.argsSysctl), [['net.core.somaxconn', '600']]);
    assert.deepEqual(
      mergedSysctls(
        [
          ['net.a', '1'],
          ['net.b', '2'],
        ],
        [['net.a', '9']],
      ),
      [
        ['net.a', '9'],
        ['net.b', '2'],
      ],
    );
  });

  it('MACs in the forms Go parses (6 bytes) go to the kernel lower-case with colons', () => {
    assert.equal(kernelMac({ text: 'C2:11:22:33:44:55', code: 7 }), 'c2:11:22:33:44:55');
    assert.equal(kernelMac({ text: 'c2-11-22-33-44-55', code: 7 }), 'c2:11:22:33:44:55');
    assert.equal(kernelMac({ text: 'c211.2233.4455', code: 7 }), 'c2:11:22:33:44:55');
    assert.throws(() => kernelMac({ text: 'c2:11:22:33:44', code: 4 }), { code: 4, message: 'invalid args c2:11:22:33:44 for MAC addr: address c2:11:22:33:44: invalid MAC address' });
  });
});

describe('tuning saved attributes file', () => {
  it('is the reference format: one-space indent, its key order, false and 0 kept', () => {
    assert.equal(encodeAttrs({ txQLen: 0, allmulti: false, mtu: 1500, promisc: false, mac: '02:00:00:00:00:01' }), '{\n "mac": "02:00:00:00:00:01",\n "promisc": false,\n "mtu": 1500,\n "allmulti": false,\n "txQLen": 0\n}');
    assert.equal(encodeAttrs({ mtu: 1500 }), '{\n "mtu": 1500\n}');
    assert.equal(savedAttrsPath('/run/cni/tuning', 'ctr_1', 'eth0'), '/run/cni/tuning/ctr_1_eth0.json');
  });

  it('reads keys in any case; a file that is not one reads as undefined', () => {
    assert.deepEqual(decodeAttrs('{"MAC":"02:00:00:00:00:01","Mtu":1500,"promisc":true,"txqlen":0}'), { mac: '02:00:00:00:00:01', mtu: 1500, promisc: true, txQLen: 0 });
    assert.equal(decodeAttrs('{"mtu":"x"}'), undefined);
    assert.equal(decodeAttrs('not json'), undefined);
  });
});

describe('tuning bad input (in process): code 7 with the reference message, nothing touched', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tscni-tuning-bad-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const run = async (command: 'ADD' | 'CHECK' | 'DEL', stdinData: string, h = handlers, args = '') =>
    invokeHandler(command, h, { containerID: 'c1', netns: '/run/netns/tscni-tuning-does-not-exist', ifName: 'eth0', args, stdinData });

  it('missing prevResult is a config error (reference: 999)', async () => {
    for (const cmd of ['ADD', 'CHECK'] as const) {
      const out = await run(cmd, conf({ dataDir: dir, mtu: 1400 }));
      assert.equal(out.error?.code, 7);
      assert.equal(out.error?.msg, 'Required prevResult missing');
    }
  });

  it('duplicate sysctl keys, bad keys, bad MACs and wrong types fail before the namespace is opened', async () => {
    const cases: [string, number, string | RegExp][] = [
      ['{"cniVersion":"1.0.0","name":"tun","sysctl":{"net.a":"1","net.a":"2"}}', 7, 'duplicated sysctl keys are not allowed'],
      [conf({ sysctl: { 'kernel.shmmax': '1' }, prevResult: PREV }), 7, 'invalid net sysctl key: "kernel/shmmax"'],
      [conf({ mac: 'nope', prevResult: PREV }), 7, 'invalid args nope for MAC addr: address nope: invalid MAC address'],
      [conf({ mtu: 'big', prevResult: PREV }), 7, 'config field mtu: expected a number, got string'],
      [conf({ mtu: -1, prevResult: PREV }), 7, 'config field mtu: must be at least 0, got -1'],
      [conf({ txQLen: 1.5, prevResult: PREV }), 7, 'config field txQLen: expected an integer, got 1.5'],
      [conf({ promisc: 'yes', prevResult: PREV }), 7, 'config field promisc: expected a boolean, got string'],
      [conf({ args: { cni: { sysctl: { 'net.a': 1 } } }, prevResult: PREV }), 7, 'config field args.cni.sysctl.net.a: expected a string, got number'],
    ];
    for (const [stdin, code, msg] of cases) {
      const out = await run('ADD', stdin);
      assert.equal(out.error?.code, code, stdin);
      assert.equal(out.error?.msg, msg);
      assert.doesNotMatch(out.stdout, /at .*\.js/);
    }
    const badArgs = await run('ADD', conf({ prevResult: PREV }), handlers, 'MAC=02:00:00:00:00:01;FOO=1');
    assert.equal(badArgs.error?.code, 4);
    assert.equal(badArgs.error?.msg, 'ARGS: unknown args ["FOO=1"]');
  });

  it('a sysctl the allow-list does not match is refused with the reference message', async () => {
    const file = join(dir, 'allowlist.conf');
    writeFileSync(file, '^net\\.core\\.somaxconn$\n');
    const out = await run('ADD', conf({ sysctl: { 'net.ipv4.ip_forward': '1' }, prevResult: PREV }), tuningHandlers({ allowlistFile: file }));
    assert.equal(out.error?.code, 7);
    assert.equal(out.error?.msg, 'Sysctl net.ipv4.ip_forward is not allowed. Only the following sysctls are allowed: [^net\\.core\\.somaxconn$]');
  });

  it('DEL without a saved file succeeds without opening anything; a gone namespace removes the file', async () => {
    assert.equal((await run('DEL', conf({ dataDir: dir }))).error, undefined);
    writeFileSync(savedAttrsPath(dir, 'c1', 'eth0'), '{\n "mtu": 1500\n}');
    assert.equal((await run('DEL', conf({ dataDir: dir }))).error, undefined);
    assert.equal(existsSync(savedAttrsPath(dir, 'c1', 'eth0')), false);
  });
});
