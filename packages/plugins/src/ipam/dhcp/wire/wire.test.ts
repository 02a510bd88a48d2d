import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAGIC_COOKIE, MessageType, Option } from './codes.js';
import { decodeDomainSearch, encodeDomainSearch } from './domain-search.js';
import { DhcpWireError, ipv4Bytes, maskPrefixLength, networkOf } from './ipv4.js';
import { bootRequest, decodePacket, encodePacket, optionValue } from './packet.js';
import { classfulPrefixLength, decodeClasslessRoutes, decodeStaticRoutes, encodeClasslessRoutes } from './routes.js';
import { decodeAddresses, decodeText, decodeUint32, encodeAddresses, encodeUint32 } from './values.js';

const mac = Uint8Array.of(0x02, 0x42, 0xac, 0x11, 0x00, 0x02);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('DHCP packet codec', () => {
  it('encodes a DISCOVER byte for byte (header, cookie, options, End, padded to 300)', () => {
    const bytes = encodePacket(
      bootRequest({
        xid: 0x3903f326,
        secs: 3,
        flags: 0x8000,
        chaddr: mac,
        options: [
          { code: Option.MessageType, value: Uint8Array.of(MessageType.Discover) },
          { code: Option.ClientIdentifier, value: Uint8Array.of(0, 0x61) },
          { code: Option.ParameterRequestList, value: Uint8Array.of(3, 1) },
        ],
      }),
    );
    assert.equal(bytes.length, 300);
    assert.equal(hex(bytes.subarray(0, 12)), '010106003903f32600038000');
    assert.equal(hex(bytes.subarray(12, 28)), '0'.repeat(32)); // ciaddr yiaddr siaddr giaddr
    assert.equal(hex(bytes.subarray(28, 44)), '0242ac110002' + '0'.repeat(20)); // chaddr, 16 bytes
    assert.ok(bytes.subarray(44, 236).every((b) => b === 0)); // sname, file
    assert.deepEqual(bytes.subarray(236, 240), MAGIC_COOKIE);
    assert.equal(hex(bytes.subarray(240, 252)), '350101' + '3d020061' + '37020301' + 'ff');
    assert.ok(bytes.subarray(252).every((b) => b === 0));
  });

  it('round-trips header fields and addresses', () => {
    const p = bootRequest({ xid: 0xffffffff, chaddr: mac, ciaddr: '10.1.2.3', giaddr: '10.9.9.9', hops: 1, options: [] });
    const d = decodePacket(encodePacket(p));
    assert.equal(d.xid, 0xffffffff);
    assert.equal(d.ciaddr, '10.1.2.3');
    assert.equal(d.giaddr, '10.9.9.9');
    assert.equal(d.hops, 1);
    assert.deepEqual(d.chaddr, mac);
    assert.deepEqual(d.options, []);
  });

  it('splits a value above 255 bytes over instances and joins them on decode (RFC 3396)', () => {
    const long = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    const bytes = encodePacket(bootRequest({ xid: 1, chaddr: mac, options: [{ code: 77, value: long }] }));
    assert.equal(bytes[240], 77);
    assert.equal(bytes[241], 255);
    assert.equal(bytes[240 + 2 + 255], 77);
    assert.equal(bytes[240 + 2 + 255 + 1], 45);
    assert.deepEqual(optionValue(decodePacket(bytes), 77), long);
  });

  it('reads options overloaded into file and sname (option 52)', () => {
    const bytes = encodePacket(bootRequest({ xid: 1, chaddr: mac, options: [{ code: Option.OptionOverload, value: Uint8Array.of(3) }] }));
    bytes.set([Option.SubnetMask, 4, 255, 255, 0, 0, Option.End], 108); // file
    bytes.set([Option.Pad, Option.Router, 4, 10, 0, 0, 1, Option.End], 44); // sname
    const d = decodePacket(bytes);
    assert.equal(hex(optionValue(d, Option.SubnetMask)!), 'ffff0000');
    assert.equal(hex(optionValue(d, Option.Router)!), '0a000001');
    assert.equal(d.file, '');
    assert.equal(d.sname, '');
  });

  it('refuses short messages, a missing cookie and options running past the end', () => {
    assert.throws(() => decodePacket(new Uint8Array(100)), DhcpWireError);
    assert.throws(() => decodePacket(new Uint8Array(300)), /magic cookie/);
    const bytes = encodePacket(bootRequest({ xid: 1, chaddr: mac, options: [] }));
    bytes.set([Option.Router, 200], 240);
    assert.throws(() => decodePacket(bytes.subarray(0, 260)), /runs past the end/);
  });
});

describe('DHCP option values', () => {
  it('addresses, times and text', () => {
    assert.deepEqual(decodeAddresses(Uint8Array.of(10, 0, 0, 1, 8, 8, 8, 8)), ['10.0.0.1', '8.8.8.8']);
    assert.equal(hex(encodeAddresses(['192.168.0.1', '1.2.3.4'])), 'c0a8000101020304');
    assert.throws(() => decodeAddresses(Uint8Array.of(1, 2, 3)), DhcpWireError);
    assert.equal(decodeUint32(Uint8Array.of(0, 0, 0x0e, 0x10)), 3600);
    assert.equal(decodeUint32(encodeUint32(0xffffffff)), 0xffffffff);
    assert.equal(decodeText(Buffer.from('example.com\0')), 'example.com');
  });

  it('masks and networks', () => {
    assert.equal(maskPrefixLength(Uint8Array.of(255, 255, 255, 0)), 24);
    assert.equal(maskPrefixLength(Uint8Array.of(255, 255, 255, 255)), 32);
    assert.equal(maskPrefixLength(Uint8Array.of(0, 0, 0, 0)), 0);
    assert.equal(maskPrefixLength(Uint8Array.of(255, 255, 255, 128)), 25);
    assert.equal(maskPrefixLength(Uint8Array.of(255, 0, 255, 0)), undefined);
    assert.equal(networkOf(ipv4Bytes('10.229.0.200'), 25), '10.229.0.128');
    assert.throws(() => ipv4Bytes('10.0.0.256'), DhcpWireError);
  });
});

describe('option 121, classless static routes (RFC 3442)', () => {
  // The destination descriptors of RFC 3442 section 3, each followed by router 10.0.0.1.
  const examples: [string, number[]][] = [
    ['10.17.0.0/16', [16, 10, 17]],
    ['10.27.129.0/24', [24, 10, 27, 129]],
    ['10.229.0.128/25', [25, 10, 229, 0, 128]],
    ['10.198.122.47/32', [32, 10, 198, 122, 47]],
    ['10.0.0.0/8', [8, 10]],
    ['0.0.0.0/0', [0]],
  ];
  for (const [dst, descriptor] of examples) {
    it(`${dst} is ${descriptor.join('.')}`, () => {
      const value = Uint8Array.from([...descriptor, 10, 0, 0, 1]);
      assert.deepEqual(decodeClasslessRoutes(value), [{ dst, gw: '10.0.0.1' }]);
      assert.deepEqual(encodeClasslessRoutes([{ dst, gw: '10.0.0.1' }]), value);
    });
  }

  it('several routes, an on-link one among them', () => {
    const routes = [
      { dst: '192.168.10.0/24', gw: '0.0.0.0' },
      { dst: '0.0.0.0/0', gw: '10.123.0.1' },
    ];
    const value = encodeClasslessRoutes(routes);
    assert.equal(hex(value), '18c0a80a00000000' + '000a7b0001');
    assert.deepEqual(decodeClasslessRoutes(value), routes);
  });

  it('is invalid as a whole when cut short, too wide, or with host bits', () => {
    assert.throws(() => decodeClasslessRoutes(Uint8Array.of(24, 10, 0, 0, 10, 0)), /middle of a route/);
    assert.throws(() => decodeClasslessRoutes(Uint8Array.of(33, 10, 0, 0, 0, 10, 0, 0, 1)), /above 32/);
    assert.throws(() => decodeClasslessRoutes(Uint8Array.of(8, 10, 10, 0, 0, 1, 0)), /middle/);
    assert.throws(() => decodeClasslessRoutes(Uint8Array.of(25, 10, 229, 0, 129, 10, 0, 0, 1)), /host bits/);
  });
});

describe('option 33, static routes (classful)', () => {
  it('gives each destination its class mask and skips 0.0.0.0', () => {
    const value = Uint8Array.of(10, 1, 0, 0, 10, 0, 0, 1, 172, 16, 5, 0, 10, 0, 0, 2, 192, 168, 7, 0, 10, 0, 0, 3, 0, 0, 0, 0, 10, 0, 0, 4);
    assert.deepEqual(decodeStaticRoutes(value), [
      { dst: '10.1.0.0/8', gw: '10.0.0.1' },
      { dst: '172.16.5.0/16', gw: '10.0.0.2' },
      { dst: '192.168.7.0/24', gw: '10.0.0.3' },
    ]);
    assert.equal(classfulPrefixLength(Uint8Array.of(224, 0, 0, 0)), 24);
    assert.throws(() => decodeStaticRoutes(Uint8Array.of(10, 0, 0, 0)), DhcpWireError);
  });
});

describe('option 119, domain search (RFC 3397)', () => {
  // RFC 3397 section 3's example: three instances of 9 bytes, joined, with a pointer to "apple".
  const rfcValue = Uint8Array.from([
    3, ...Buffer.from('eng'), 5, ...Buffer.from('apple'), 3, ...Buffer.from('com'), 0,
    9, ...Buffer.from('marketing'), 0xc0, 0x04,
  ]);

  it('decodes the RFC example, through its compression pointer', () => {
    assert.deepEqual(decodeDomainSearch(rfcValue), ['eng.apple.com', 'marketing.apple.com']);
  });

  it('decodes the RFC example carried as three option instances', () => {
    const bytes = encodePacket(bootRequest({ xid: 1, chaddr: mac, options: [] }));
    const instances = [0, 9, 18].flatMap((at) => [Option.DomainSearch, 9, ...rfcValue.subarray(at, at + 9)]);
    bytes.set([...instances, Option.End], 240);
    assert.deepEqual(decodeDomainSearch(optionValue(decodePacket(bytes), Option.DomainSearch)!), ['eng.apple.com', 'marketing.apple.com']);
  });

  it('encodes with compression exactly as the RFC example', () => {
    assert.deepEqual(encodeDomainSearch(['eng.apple.com', 'marketing.apple.com']), rfcValue);
    assert.deepEqual(decodeDomainSearch(encodeDomainSearch(['a.example', 'example', 'b.a.example.'])), ['a.example', 'example', 'b.a.example']);
  });

  it('refuses forward pointers, loops and truncated names', () => {
    assert.throws(() => decodeDomainSearch(Uint8Array.of(0xc0, 0x00)), /points forward/);
    assert.throws(() => decodeDomainSearch(Uint8Array.of(3, 97, 98, 99, 0xc0, 0x08, 0)), /points forward/);
    assert.throws(() => decodeDomainSearch(Uint8Array.of(3, 97, 98)), /past the end/);
    assert.throws(() => decodeDomainSearch(Uint8Array.of(3, 97, 98, 99)), /past the end/);
  });
});
