// The README's example plugin, run as a real process.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const PLUGIN = fileURLToPath(new URL('./dns-inject.js', import.meta.url));
const ENV = { CNI_CONTAINERID: 'c1', CNI_NETNS: '/var/run/netns/nonexistent', CNI_IFNAME: 'eth0', CNI_PATH: '/opt/cni/bin' };

function exec(command: string | undefined, stdin: object | string, env: Record<string, string> = ENV) {
  const r = spawnSync(process.execPath, [PLUGIN], {
    input: typeof stdin === 'string' ? stdin : JSON.stringify(stdin),
    env: { PATH: process.env['PATH'] ?? '', ...env, ...(command ? { CNI_COMMAND: command } : {}) },
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const prevResult = { cniVersion: '1.1.0', ips: [{ address: '10.1.2.3/24', gateway: '10.1.2.1' }], dns: { nameservers: ['1.1.1.1'] } };
const conf = { cniVersion: '1.1.0', name: 'net', type: 'dns-inject', nameserver: '10.0.0.53' };

describe('dns-inject example plugin', () => {
  it('adds the nameserver to prevResult on ADD', () => {
    const r = exec('ADD', { ...conf, prevResult });
    assert.equal(r.code, 0, r.stdout);
    assert.deepEqual(JSON.parse(r.stdout), { ...prevResult, dns: { nameservers: ['1.1.1.1', '10.0.0.53'] } });
  });
  it('prints the result in the config version', () => {
    const r = exec('ADD', { ...conf, cniVersion: '0.4.0', prevResult: { cniVersion: '0.4.0', ips: [{ version: '4', address: '10.1.2.3/24' }] } });
    assert.equal(r.code, 0, r.stdout);
    assert.equal(
      r.stdout,
      '{\n    "cniVersion": "0.4.0",\n    "ips": [\n        {\n            "version": "4",\n            "address": "10.1.2.3/24"\n        }\n    ],\n    "dns": {\n        "nameservers": [\n            "10.0.0.53"\n        ]\n    }\n}',
    );
  });
  it('fails with code 7 naming the field when the nameserver is missing', () => {
    const r = exec('ADD', { ...conf, nameserver: undefined, prevResult });
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '{\n    "code": 7,\n    "msg": "config field nameserver: is required (a string)"\n}');
  });
  it('fails without prevResult', () => {
    const r = exec('ADD', conf);
    assert.equal(r.code, 1);
    assert.equal(JSON.parse(r.stdout).code, 7);
  });
  it('checks that the nameserver is in prevResult', () => {
    assert.equal(exec('CHECK', { ...conf, prevResult: { ...prevResult, dns: { nameservers: ['10.0.0.53'] } } }).code, 0);
    const r = exec('CHECK', { ...conf, prevResult });
    assert.equal(r.code, 1);
    assert.deepEqual(JSON.parse(r.stdout), { code: 100, msg: 'nameserver missing from the result', details: '10.0.0.53' });
  });
  it('succeeds on DEL, GC and STATUS', () => {
    assert.equal(exec('DEL', conf).code, 0);
    assert.equal(exec('GC', conf, { CNI_PATH: '/opt/cni/bin' }).code, 0);
    assert.equal(exec('STATUS', conf, { CNI_PATH: '/opt/cni/bin' }).code, 0);
  });
  it('answers VERSION without stdin', () => {
    const r = exec('VERSION', 'not json', {});
    assert.equal(r.code, 0);
    assert.equal(r.stdout, '{"cniVersion":"1.1.0","supportedVersions":["0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]}\n');
  });
  it('refuses an unsupported version', () => {
    const r = exec('ADD', { ...conf, cniVersion: '0.2.0', prevResult });
    assert.equal(r.code, 1);
    assert.deepEqual(JSON.parse(r.stdout), {
      code: 1,
      msg: 'incompatible CNI versions',
      details: 'config is "0.2.0", plugin supports ["0.3.0" "0.3.1" "0.4.0" "1.0.0" "1.1.0"]',
    });
  });
  it('prints its about string without CNI_COMMAND', () => {
    const r = exec(undefined, '', {});
    assert.equal(r.code, 0);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'dns-inject: adds a nameserver to the previous result\nCNI protocol versions supported: 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0\n');
  });
  it('reports missing variables', () => {
    const r = exec('ADD', conf, { CNI_CONTAINERID: 'c1' });
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '{\n    "code": 4,\n    "msg": "required env variables [CNI_NETNS,CNI_IFNAME,CNI_PATH] missing"\n}');
  });
  it('refuses its own netns', { skip: process.platform !== 'linux' }, () => {
    const r = exec('DEL', conf, { ...ENV, CNI_NETNS: '/proc/self/ns/net' });
    assert.equal(r.code, 1);
    assert.equal(JSON.parse(r.stdout).code, 8);
  });
  it('is the code shown in the README', () => {
    const source = readFileSync(new URL('../../src/examples/dns-inject.ts', import.meta.url), 'utf8');
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    assert.ok(readme.includes(source.replace("from '../index.js'", "from '@tscni/skel'")));
    assert.ok(source.split('\n').length < 40);
  });
});
