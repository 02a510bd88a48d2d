import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { argsCni, loadArgs, parseArgBool, parseCniArgs } from './args.js';

describe('parseArgBool (UnmarshallableBool)', () => {
  it('reads 1/true and 0/false in any case', () => {
    for (const t of ['True', 'true', 'TRUE', '1']) assert.equal(parseArgBool(t), true, t);
    for (const f of ['False', 'false', 'FALSE', '0']) assert.equal(parseArgBool(f), false, f);
  });

  it('reports the lowercased input', () => {
    assert.throws(() => parseArgBool('Yes'), { message: 'boolean unmarshal error: invalid input yes' });
    assert.throws(() => parseArgBool(''), { message: 'boolean unmarshal error: invalid input ' });
  });
});

describe('parseCniArgs', () => {
  it('splits pairs', () => {
    assert.deepEqual(parseCniArgs(''), []);
    assert.deepEqual(parseCniArgs('FOO=BAR;ABC=123'), [
      ['FOO', 'BAR'],
      ['ABC', '123'],
    ]);
    assert.deepEqual(parseCniArgs('IP='), [['IP', '']]);
  });

  it('wants exactly one = per pair', () => {
    assert.throws(() => parseCniArgs('a=b;'), { message: 'ARGS: invalid pair ""' });
    assert.throws(() => parseCniArgs('a=b=c'), { message: 'ARGS: invalid pair "a=b=c"' });
    assert.throws(() => parseCniArgs('novalue'), { message: 'ARGS: invalid pair "novalue"' });
  });
});

describe('loadArgs', () => {
  const schema = { IP: (v: string) => v, K8S_POD_NAME: (v: string) => v };

  it('does nothing for empty args', () => {
    assert.deepEqual(loadArgs('', schema), {});
  });

  it('reads known keys case-sensitively', () => {
    assert.deepEqual(loadArgs('IP=10.0.0.5;K8S_POD_NAME=web', schema), { IP: '10.0.0.5', K8S_POD_NAME: 'web' });
    assert.deepEqual(loadArgs('IP=', schema), { IP: '' });
    assert.throws(() => loadArgs('ip=10.0.0.5', schema), { message: 'ARGS: unknown args ["ip=10.0.0.5"]' });
  });

  it('fails on unknown args unless IgnoreUnknown is true', () => {
    assert.throws(() => loadArgs('FOO=bar;IP=1.2.3.4;BAZ=1', schema), { message: 'ARGS: unknown args ["FOO=bar" "BAZ=1"]' });
    for (const on of ['true', '1', 'TRUE', 'True']) {
      assert.deepEqual(loadArgs(`IgnoreUnknown=${on};FOO=bar`, schema), { IgnoreUnknown: true }, on);
    }
    assert.deepEqual(loadArgs('FOO=bar;IgnoreUnknown=1', schema), { IgnoreUnknown: true }, 'the position of IgnoreUnknown does not matter');
    for (const off of ['0', 'false']) {
      assert.throws(() => loadArgs(`IgnoreUnknown=${off};FOO=bar`, schema), { message: 'ARGS: unknown args ["FOO=bar"]' }, off);
    }
    assert.throws(() => loadArgs('ignoreunknown=1;FOO=bar', schema), { message: 'ARGS: unknown args ["ignoreunknown=1" "FOO=bar"]' });
  });

  it('names the pair whose value does not parse', () => {
    assert.throws(() => loadArgs('IgnoreUnknown=maybe', schema), {
      message: 'ARGS: error parsing value of pair "IgnoreUnknown=maybe": boolean unmarshal error: invalid input maybe',
    });
    const strict = {
      IP: (v: string) => {
        if (!/^\d+\.\d+\.\d+\.\d+$/.test(v)) throw new Error(`invalid IP address: ${v}`);
        return v;
      },
    };
    assert.throws(() => loadArgs('IP=nope', strict), { message: 'ARGS: error parsing value of pair "IP=nope": invalid IP address: nope' });
  });

  it('fails in the order the pairs come, as the reference does', () => {
    assert.throws(() => loadArgs('IgnoreUnknown=maybe;a=b=c', schema), /error parsing value of pair "IgnoreUnknown=maybe"/);
    assert.throws(() => loadArgs('a=b=c;IgnoreUnknown=maybe', schema), { message: 'ARGS: invalid pair "a=b=c"' });
    assert.throws(() => loadArgs('FOO=bar;a=b;', schema), { message: 'ARGS: invalid pair ""' });
  });

  it('does not treat inherited object keys as known', () => {
    assert.throws(() => loadArgs('constructor=x;toString=y', schema), { message: 'ARGS: unknown args ["constructor=x" "toString=y"]' });
  });
});

describe('argsCni', () => {
  it('reads the args.cni conventions', () => {
    const conf = { type: 'x', args: { cni: { ips: ['10.0.0.5/24'], labels: [{ key: 'app', value: 'web' }], other: 1 } } };
    assert.deepEqual(argsCni(conf), { ips: ['10.0.0.5/24'], labels: [{ key: 'app', value: 'web' }], other: 1 });
  });

  it('is undefined without args.cni', () => {
    assert.equal(argsCni({}), undefined);
    assert.equal(argsCni({ args: { other: {} } }), undefined);
    assert.equal(argsCni({ args: 'x' }), undefined);
    assert.equal(argsCni({ args: { cni: [] } }), undefined);
  });

  it('checks the shape of the conventional keys', () => {
    assert.throws(() => argsCni({ args: { cni: { ips: '10.0.0.5' } } }), { message: 'args.cni.ips must be a list of strings' });
    assert.throws(() => argsCni({ args: { cni: { labels: [{ key: 'a' }] } } }), /args.cni.labels/);
    assert.throws(() => argsCni({ args: { cni: { mac: 5 } } }), { message: 'args.cni.mac must be a string' });
  });
});
