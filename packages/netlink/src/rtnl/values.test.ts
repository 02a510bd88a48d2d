import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  be16Bytes,
  cstringBytes,
  i32Bytes,
  ipBytes,
  ipFamily,
  ipText,
  ipv4Bytes,
  ipv6Bytes,
  ipv6Text,
  macBytes,
  macText,
  readBe16,
  readCString,
  readI32,
  readU16,
  readU32,
  readU64,
  readU8,
  u16Bytes,
  u32Bytes,
  u64Bytes,
  u8Bytes,
} from './values.js';

describe('integer payloads', () => {
  it('are host (little-endian) order, be16 network order, and read back', () => {
    assert.deepEqual([...u8Bytes(0x1ff)], [0xff]);
    assert.deepEqual([...u16Bytes(1500)], [0xdc, 0x05]);
    assert.deepEqual([...be16Bytes(4789)], [0x12, 0xb5]);
    assert.deepEqual([...u32Bytes(0xfffffffe)], [0xfe, 0xff, 0xff, 0xff]);
    assert.deepEqual([...i32Bytes(-17)], [0xef, 0xff, 0xff, 0xff]);
    assert.deepEqual([...u64Bytes(0x0102030405060708n)], [8, 7, 6, 5, 4, 3, 2, 1]);
    assert.equal(readU8(u8Bytes(7)), 7);
    assert.equal(readU16(u16Bytes(65535)), 65535);
    assert.equal(readBe16(be16Bytes(0x8100)), 0x8100);
    assert.equal(readU32(u32Bytes(0xffffffff)), 0xffffffff);
    assert.equal(readI32(i32Bytes(-22)), -22);
    assert.equal(readU64(u64Bytes(1n << 63n)), 1n << 63n);
  });
  it('refuse short payloads', () => {
    assert.throws(() => readU32(Uint8Array.of(1, 2)), RangeError);
    assert.throws(() => readU8(new Uint8Array(0)), RangeError);
  });
});

describe('C strings', () => {
  it('are NUL-terminated UTF-8 and read up to the first NUL or the end', () => {
    assert.deepEqual([...cstringBytes('lo')], [0x6c, 0x6f, 0]);
    assert.equal(readCString(cstringBytes('eth0')), 'eth0');
    assert.equal(readCString(new TextEncoder().encode('alias')), 'alias');
    assert.equal(readCString(Uint8Array.of(0x61, 0, 0x62)), 'a');
    assert.equal(readCString(cstringBytes('ü')), 'ü');
  });
});

describe('MAC addresses', () => {
  it('parse colon or dash forms and print lower case', () => {
    assert.deepEqual([...macBytes('02:AB:cd:00:00:01')], [2, 0xab, 0xcd, 0, 0, 1]);
    assert.equal(macText(macBytes('02-ab-cd-00-00-01')), '02:ab:cd:00:00:01');
    assert.equal(macText(new Uint8Array(20)).split(':').length, 20);
  });
  it('refuse garbage', () => {
    assert.throws(() => macBytes('02:00:00:00:00'), TypeError);
    assert.throws(() => macBytes('02:00:00:00:00:zz'), TypeError);
  });
});

describe('IP addresses', () => {
  it('parse and print IPv4', () => {
    assert.deepEqual([...ipv4Bytes('10.0.255.1')], [10, 0, 255, 1]);
    assert.equal(ipText(ipBytes('192.168.1.10')), '192.168.1.10');
    for (const bad of ['10.0.0', '10.0.0.256', '1.2.3.4.5', '01.2.3.4', '', 'a.b.c.d']) assert.throws(() => ipv4Bytes(bad), TypeError, bad);
  });
  it("print IPv6 as glibc's inet_ntop does (what `ip` shows)", () => {
    // Expected texts from Python's socket.inet_ntop on this machine (glibc).
    const cases: [string, string][] = [
      ['::', '::'],
      ['::1', '::1'],
      ['::ffff:1.2.3.4', '::ffff:1.2.3.4'],
      ['::1.2.3.4', '::1.2.3.4'],
      ['::ffff:0:1.2.3.4', '::ffff:0:102:304'],
      ['1::', '1::'],
      ['1:0:0:1:0:0:0:1', '1:0:0:1::1'],
      ['FD00:0:0:1::', 'fd00:0:0:1::'],
      ['0:0:1::', '0:0:1::'],
      ['1:0:0:0:1:0:0:1', '1::1:0:0:1'],
      ['fe80::1:2', 'fe80::1:2'],
      ['::2:3:4:5:6:7', '::2:3:4:5:6:7'],
      ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
      ['1:0:2:3:4:5:6:7', '1:0:2:3:4:5:6:7'],
      ['64:ff9b::10.0.0.1', '64:ff9b::a00:1'],
      ['::0.0.1.0', '::100'],
      ['::ffff:0.0.0.0', '::ffff:0.0.0.0'],
      ['0:0:0:0:0:1:0:0', '::1:0:0'],
    ];
    for (const [input, text] of cases) assert.equal(ipv6Text(ipv6Bytes(input)), text, input);
  });
  it('refuse malformed IPv6', () => {
    for (const bad of ['1::2::3', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '12345::', ':::', '::1.2.3', 'g::1', '1:2:3:4:5:6:7::8']) {
      assert.throws(() => ipv6Bytes(bad), TypeError, bad);
    }
  });
  it('tell the family by the text', () => {
    assert.equal(ipFamily('10.0.0.1'), 2);
    assert.equal(ipFamily('::1'), 10);
    assert.throws(() => ipText(new Uint8Array(5)), RangeError);
  });
});
