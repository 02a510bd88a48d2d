import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AttrSet, NLA_F_NESTED, align4, asInput, attr, encodeAttrs, parseAttrs, type AttrInput } from './attrs.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('attribute encoding', () => {
  it('writes length (without padding), type, payload and zero padding to 4 bytes', () => {
    assert.equal(hex(encodeAttrs([attr.u32(4, 1400)])), '0800040078050000');
    assert.equal(hex(encodeAttrs([attr.u8(7, 1)])), '0500070001000000');
    assert.equal(hex(encodeAttrs([attr.u16(1, 100)])), '0600010064000000');
    assert.equal(hex(encodeAttrs([attr.be16(15, 4789)])), '06000f0012b50000');
    assert.equal(hex(encodeAttrs([attr.string(3, 'eth0')])), '0900030065746830' + '00000000');
    assert.equal(hex(encodeAttrs([attr.text(20, 'ab')])), '0600140061620000');
    assert.equal(hex(encodeAttrs([attr.flag(24)])), '04001800');
    assert.equal(hex(encodeAttrs([attr.i32(19, -1)])), '08001300ffffffff');
    assert.equal(hex(encodeAttrs([attr.u64(1, 2n)])), '0c0001000200000000000000');
    assert.equal(hex(encodeAttrs([attr.ip(2, '10.0.0.2')])), '080002000a000002');
    assert.equal(hex(encodeAttrs([attr.ip(1, 'fd00::1')])), '14000100fd000000000000000000000000000001');
    assert.equal(hex(encodeAttrs([attr.mac(1, '02:00:00:00:00:01')])), '0a000100020000000001' + '0000');
    assert.equal(hex(encodeAttrs([attr.bytes(9, Uint8Array.of(1, 2, 3))])), '0700090001020300');
  });
  it("nests, the nest's length covering its children's padding as nla_nest_end does", () => {
    const bytes = encodeAttrs([attr.nested(18, [attr.string(1, 'vlan'), attr.nested(2, [attr.u16(1, 100)])])]);
    // 4 (hdr) + 12 (kind "vlan\0" padded) + 4 (data hdr) + 8 (id padded) = 28
    assert.equal(hex(bytes), '1c001200' + '0900010076' + '6c616e00000000' + '0c000200' + '0600010064000000');
    assert.equal(bytes.length, 28);
  });
  it('sends flags as part of the type', () => {
    assert.equal(hex(encodeAttrs([attr.nested(12 | NLA_F_NESTED, [attr.u8(4, 1)])])), '0c000c80' + '0500040001000000');
  });
  it('refuses an attribute over 65535 bytes', () => {
    assert.throws(() => encodeAttrs([attr.bytes(1, new Uint8Array(70000))]), RangeError);
  });
  it('aligns to 4', () => {
    assert.deepEqual([0, 1, 3, 4, 5, 8].map(align4), [0, 4, 4, 4, 8, 8]);
  });
});

describe('attribute decoding', () => {
  it('reads back every payload kind, the last of a repeated type, and all of them', () => {
    const inputs: AttrInput[] = [
      attr.u8(1, 200),
      attr.u16(2, 65000),
      attr.be16(3, 0x88a8),
      attr.u32(4, 0xdeadbeef),
      attr.i32(5, -5),
      attr.u64(6, 1n << 40n),
      attr.string(7, 'veth0'),
      attr.ip(8, '192.0.2.1'),
      attr.ip(9, '2001:db8::1'),
      attr.mac(10, 'aa:bb:cc:dd:ee:ff'),
      attr.nested(11, [attr.u32(1, 1), attr.u32(1, 2)]),
      attr.u32(4, 7),
    ];
    const a = AttrSet.parse(encodeAttrs(inputs));
    assert.equal(a.u8(1), 200);
    assert.equal(a.u16(2), 65000);
    assert.equal(a.be16(3), 0x88a8);
    assert.equal(a.u32(4), 7);
    assert.deepEqual(a.all(4).map((v) => Buffer.from(v).readUInt32LE()), [0xdeadbeef, 7]);
    assert.equal(a.i32(5), -5);
    assert.equal(a.u64(6), 1n << 40n);
    assert.equal(a.string(7), 'veth0');
    assert.equal(a.ip(8), '192.0.2.1');
    assert.equal(a.ip(9), '2001:db8::1');
    assert.equal(a.mac(10), 'aa:bb:cc:dd:ee:ff');
    assert.deepEqual(a.nested(11)?.all(1).map((v) => v[0]), [1, 2]);
    assert.equal(a.u32(99), undefined);
    assert.equal(a.has(99), false);
  });
  it('keeps the flags apart from the type and re-encodes byte for byte', () => {
    const bytes = encodeAttrs([attr.nested(52 | NLA_F_NESTED, [attr.string(53, 'altname')]), attr.u8(3, 1)]);
    const parsed = parseAttrs(bytes);
    assert.deepEqual(
      parsed.map((p) => [p.type, p.flags]),
      [
        [52, NLA_F_NESTED],
        [3, 0],
      ],
    );
    assert.deepEqual(encodeAttrs(asInput(parsed)), bytes);
  });
  it('refuses lengths that do not fit, ignores a tail shorter than a header', () => {
    assert.throws(() => parseAttrs(Uint8Array.of(9, 0, 1, 0, 1, 2, 3, 4)), RangeError);
    assert.throws(() => parseAttrs(Uint8Array.of(2, 0, 1, 0)), RangeError);
    assert.deepEqual(parseAttrs(Uint8Array.of(0, 0)), []);
  });
});
