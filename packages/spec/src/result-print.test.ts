import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createResult, resultFromBytes } from './result-decode.js';
import { convertResult } from './result-convert.js';
import { printResult, printResultAs } from './result-print.js';
import type { Result100 } from './result-types.js';

/** The reference's pkg/types/100 testResult(), as JSON. */
const RESULT_110 = {
  cniVersion: '1.1.0',
  interfaces: [
    {
      name: 'eth0',
      mac: '00:11:22:33:44:55',
      mtu: 1500,
      sandbox: '/proc/3553/ns/net',
      pciID: '8086:9a01',
      socketPath: '/path/to/vhost/fd',
    },
  ],
  ips: [
    { interface: 0, address: '1.2.3.30/24', gateway: '1.2.3.1' },
    { interface: 0, address: 'abcd:1234:ffff::cdde/64', gateway: 'abcd:1234:ffff::1' },
  ],
  routes: [
    { dst: '15.5.6.0/24', gw: '15.5.6.8' },
    { dst: '1111:dddd::/80', gw: '1111:dddd::aaaa' },
  ],
  dns: {
    nameservers: ['1.2.3.4', '1::cafe'],
    domain: 'acompany.com',
    search: ['somedomain.com', 'otherdomain.net'],
    options: ['foo', 'bar'],
  },
};

const testResult = (): Result100 => createResult('1.1.0', JSON.stringify(RESULT_110)) as Result100;

const DNS_STRUCT_ORDER = [
  '    "dns": {',
  '        "nameservers": [',
  '            "1.2.3.4",',
  '            "1::cafe"',
  '        ],',
  '        "domain": "acompany.com",',
  '        "search": [',
  '            "somedomain.com",',
  '            "otherdomain.net"',
  '        ],',
  '        "options": [',
  '            "foo",',
  '            "bar"',
  '        ]',
  '    }',
];

describe('result bytes', () => {
  it('prints 1.1.0 with keys sorted at every level, 4-space indent, no trailing newline', () => {
    const expected = [
      '{',
      '    "cniVersion": "1.1.0",',
      '    "dns": {',
      '        "domain": "acompany.com",',
      '        "nameservers": [',
      '            "1.2.3.4",',
      '            "1::cafe"',
      '        ],',
      '        "options": [',
      '            "foo",',
      '            "bar"',
      '        ],',
      '        "search": [',
      '            "somedomain.com",',
      '            "otherdomain.net"',
      '        ]',
      '    },',
      '    "interfaces": [',
      '        {',
      '            "mac": "00:11:22:33:44:55",',
      '            "mtu": 1500,',
      '            "name": "eth0",',
      '            "pciID": "8086:9a01",',
      '            "sandbox": "/proc/3553/ns/net",',
      '            "socketPath": "/path/to/vhost/fd"',
      '        }',
      '    ],',
      '    "ips": [',
      '        {',
      '            "address": "1.2.3.30/24",',
      '            "gateway": "1.2.3.1",',
      '            "interface": 0',
      '        },',
      '        {',
      '            "address": "abcd:1234:ffff::cdde/64",',
      '            "gateway": "abcd:1234:ffff::1",',
      '            "interface": 0',
      '        }',
      '    ],',
      '    "routes": [',
      '        {',
      '            "dst": "15.5.6.0/24",',
      '            "gw": "15.5.6.8"',
      '        },',
      '        {',
      '            "dst": "1111:dddd::/80",',
      '            "gw": "1111:dddd::aaaa"',
      '        }',
      '    ]',
      '}',
    ].join('\n');
    assert.equal(printResult(testResult()), expected);
  });

  it('drops an empty dns from 1.x results and keeps route extras with table/scope 0', () => {
    const r = createResult(
      '1.0.0',
      '{"cniVersion":"1.0.0","ips":[{"address":"10.1.2.3/24"}],"routes":[{"dst":"0.0.0.0/0","mtu":0,"advmss":1340,"priority":100,"table":0,"scope":0}],"dns":{"nameservers":[]}}',
    );
    assert.equal(
      printResult(r),
      [
        '{',
        '    "cniVersion": "1.0.0",',
        '    "ips": [',
        '        {',
        '            "address": "10.1.2.3/24"',
        '        }',
        '    ],',
        '    "routes": [',
        '        {',
        '            "advmss": 1340,',
        '            "dst": "0.0.0.0/0",',
        '            "priority": 100,',
        '            "scope": 0,',
        '            "table": 0',
        '        }',
        '    ]',
        '}',
      ].join('\n'),
    );
  });

  it('emits interface index 0 and omits a missing one', () => {
    const withIndex = createResult('1.1.0', '{"cniVersion":"1.1.0","ips":[{"interface":0,"address":"10.1.2.3/24"}]}');
    assert.match(printResult(withIndex), /"interface": 0/);
    const without = createResult('1.1.0', '{"cniVersion":"1.1.0","ips":[{"address":"10.1.2.3/24"}]}');
    assert.doesNotMatch(printResult(without), /interface/);
    const v040 = createResult('0.4.0', '{"cniVersion":"0.4.0","ips":[{"version":"4","interface":0,"address":"10.1.2.3/24"}]}');
    assert.match(printResult(v040), /"version": "4",\n {12}"interface": 0,\n {12}"address": "10.1.2.3\/24"/);
    const v040none = createResult('0.4.0', '{"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.1.2.3/24"}]}');
    assert.doesNotMatch(printResult(v040none), /interface/);
  });

  it('always names an interface, even with an empty name', () => {
    const r = createResult('1.1.0', '{"cniVersion":"1.1.0","interfaces":[{"mac":"aa:bb:cc:dd:ee:ff","mtu":0}]}');
    assert.match(printResult(r), /"mac": "aa:bb:cc:dd:ee:ff",\n {12}"name": ""\n/);
  });

  it('prints 0.3.1 in struct order with ips[].version and dns', () => {
    const expected = [
      '{',
      '    "cniVersion": "0.3.1",',
      '    "interfaces": [',
      '        {',
      '            "name": "eth0",',
      '            "mac": "00:11:22:33:44:55",',
      '            "sandbox": "/proc/3553/ns/net"',
      '        }',
      '    ],',
      '    "ips": [',
      '        {',
      '            "version": "4",',
      '            "interface": 0,',
      '            "address": "1.2.3.30/24",',
      '            "gateway": "1.2.3.1"',
      '        },',
      '        {',
      '            "version": "6",',
      '            "interface": 0,',
      '            "address": "abcd:1234:ffff::cdde/64",',
      '            "gateway": "abcd:1234:ffff::1"',
      '        }',
      '    ],',
      '    "routes": [',
      '        {',
      '            "dst": "15.5.6.0/24",',
      '            "gw": "15.5.6.8"',
      '        },',
      '        {',
      '            "dst": "1111:dddd::/80",',
      '            "gw": "1111:dddd::aaaa"',
      '        }',
      '    ],',
      ...DNS_STRUCT_ORDER,
      '}',
    ].join('\n');
    assert.equal(printResultAs(testResult(), '0.3.1'), expected);
  });

  it('prints "dns": {} for an empty 0.x dns', () => {
    const r040 = createResult('0.4.0', '{"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.1.2.3/24"}]}');
    assert.equal(
      printResult(r040),
      ['{', '    "cniVersion": "0.4.0",', '    "ips": [', '        {', '            "version": "4",', '            "address": "10.1.2.3/24"', '        }', '    ],', '    "dns": {}', '}'].join('\n'),
    );
    const r020 = createResult('0.2.0', '{"cniVersion":"0.2.0","ip4":{"ip":"10.1.2.3/24"}}');
    assert.equal(printResult(r020), ['{', '    "cniVersion": "0.2.0",', '    "ip4": {', '        "ip": "10.1.2.3/24"', '    },', '    "dns": {}', '}'].join('\n'));
  });

  it('emits "version": "" for a 0.4.0 address without one', () => {
    const r = createResult('0.4.0', '{"cniVersion":"0.4.0","ips":[{"address":"10.1.2.3/24"}]}');
    assert.match(printResult(r), /"version": "",/);
  });

  it('prints 1.1.0 down-converted to 0.1.0 with ip4/ip6 and their routes', () => {
    const expected = [
      '{',
      '    "cniVersion": "0.1.0",',
      '    "ip4": {',
      '        "ip": "1.2.3.30/24",',
      '        "gateway": "1.2.3.1",',
      '        "routes": [',
      '            {',
      '                "dst": "15.5.6.0/24",',
      '                "gw": "15.5.6.8"',
      '            }',
      '        ]',
      '    },',
      '    "ip6": {',
      '        "ip": "abcd:1234:ffff::cdde/64",',
      '        "gateway": "abcd:1234:ffff::1",',
      '        "routes": [',
      '            {',
      '                "dst": "1111:dddd::/80",',
      '                "gw": "1111:dddd::aaaa"',
      '            }',
      '        ]',
      '    },',
      ...DNS_STRUCT_ORDER,
      '}',
    ].join('\n');
    assert.equal(printResultAs(testResult(), '0.1.0'), expected);
    assert.equal(printResultAs(convertResult(testResult(), '0.3.1'), '0.1.0'), expected);
  });

  it('prints 1.1.0 down-converted to 0.4.0 without mtu, pciID or socketPath', () => {
    const out = printResultAs(testResult(), '0.4.0');
    assert.match(out, /^\{\n {4}"cniVersion": "0.4.0",\n {4}"interfaces": \[\n {8}\{\n {12}"name": "eth0",\n {12}"mac": "00:11:22:33:44:55",\n {12}"sandbox": "\/proc\/3553\/ns\/net"\n {8}\}/);
    assert.doesNotMatch(out, /mtu|pciID|socketPath/);
    assert.ok(!out.endsWith('\n'));
  });

  it('escapes <, > and & as Go does', () => {
    const r = resultFromBytes('{"cniVersion":"1.1.0","dns":{"domain":"a<b>&c"}}');
    assert.match(printResult(r), /"domain": "a\\u003cb\\u003e\\u0026c"/);
  });

  it('prints a result built without a version in its shape, without a cniVersion', () => {
    assert.equal(printResult({ cniVersion: '', ip4: { ip: '10.0.0.2/24' } }), '{\n    "ip4": {\n        "ip": "10.0.0.2/24"\n    },\n    "dns": {}\n}');
    assert.equal(printResult({ cniVersion: '' }), '{}');
  });

  it('refuses to print an unknown version', () => {
    assert.throws(() => printResult({ cniVersion: '1.2.0' }), { message: 'unsupported CNI result version "1.2.0"' });
  });
});
