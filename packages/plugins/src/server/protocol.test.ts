import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RequestReader, encodeReply, parseHead } from './protocol.js';
import { parseServerFlags } from './command.js';
import { connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { coreHashOf, ownIdentity, pluginServer, refusal, type ServerIdentity } from './serve.js';

const head = 'TSCNI1 80ec94cda304 4026531840 4026531841 4026531836 4026531837 22 2 5 ptp\n';
const request = Buffer.concat([Buffer.from(head), Buffer.from('CNI_COMMAND=ADD\0CNI_PATH=/opt/cni/bin\0'), Buffer.from('{"a":')]);

describe('the tscni server protocol', () => {
  it('reads a request sent in pieces, byte by byte', () => {
    const r = new RequestReader();
    let got;
    for (let i = 0; i < request.length; i++) {
      got = r.push(request.subarray(i, i + 1));
      if (i < request.length - 1) assert.equal(got, undefined, `complete early at byte ${i}`);
    }
    assert.ok(got);
    assert.equal(got.plugin, 'ptp');
    assert.equal(got.coreHash, '80ec94cda304');
    assert.equal(got.umask, 0o22);
    assert.deepEqual(got.namespaces, { net: 4026531840n, mnt: 4026531841n, pid: 4026531836n, user: 4026531837n });
    assert.deepEqual(got.env, { CNI_COMMAND: 'ADD', CNI_PATH: '/opt/cni/bin' });
    assert.equal(Buffer.from(got.stdin).toString(), '{"a":');
  });

  it('keeps values with "=" and newlines whole, and skips entries without a name', () => {
    const body = 'A=b=c\0MULTI=x\ny\0=nameless\0noequals\0';
    const r = new RequestReader();
    const got = r.push(Buffer.from(`TSCNI1 h 1 2 3 4 0 4 0 ptp\n${body}`));
    assert.deepEqual(got?.env, { A: 'b=c', MULTI: 'x\ny' });
    assert.equal(got?.stdin.length, 0);
  });

  it('refuses what is not a shim request: another magic, bad numbers, bytes after the request, endless headers', () => {
    assert.throws(() => parseHead('GET / HTTP/1.1'), /not a tscni shim request/);
    assert.throws(() => parseHead('TSCNI1 h 1 2 3 4 9 0 0 ptp'), /bad umask/);
    assert.throws(() => parseHead('TSCNI1 h 1 2 3 -4 0 0 0 ptp'), /bad userns/);
    assert.throws(() => new RequestReader().push(Buffer.concat([request, Buffer.from('G')])), /data after the request/);
    assert.throws(() => new RequestReader().push(Buffer.alloc(5000, 0x41)), /header too long/);
  });

  it('encodes the reply as exit code, lengths in bytes, stdout, stderr', () => {
    assert.equal(encodeReply(1, '{"msg":"é"}', 'warn\n').toString(), '1 12 5\n{"msg":"é"}warn\n');
  });
});

describe('what the tscni server runs itself', () => {
  const id: ServerIdentity = { coreHash: 'abc', namespaces: { net: 1n, mnt: 2n, pid: 3n, user: 4n }, umask: 0o22 };
  const req = (over: Partial<Parameters<typeof refusal>[0]> = {}): Parameters<typeof refusal>[0] => ({
    coreHash: 'abc',
    namespaces: { net: 1n, mnt: 2n, pid: 3n, user: 4n },
    umask: 0o22,
    plugin: 'ptp',
    env: { CNI_NETNS: '/run/netns/x', CNI_PATH: '/opt/cni/bin::/usr/lib/cni' },
    stdin: new Uint8Array(),
    ...over,
  });

  it('a request of its build, namespaces and umask with absolute paths', () => {
    assert.equal(refusal(req(), id), undefined);
  });

  it('not another build, namespace, umask, plugin, or relative paths', () => {
    assert.match(refusal(req({ coreHash: 'def' }), id) ?? '', /another build of the plugins \(core def, this server runs abc\)/);
    assert.match(refusal(req({ namespaces: { net: 1n, mnt: 9n, pid: 3n, user: 4n } }), id) ?? '', /another mnt namespace/);
    assert.match(refusal(req({ namespaces: { net: 0n, mnt: 2n, pid: 3n, user: 4n } }), { ...id, namespaces: { ...id.namespaces, net: 0n } }) ?? '', /another net namespace/);
    assert.match(refusal(req({ umask: 0o77 }), id) ?? '', /another umask \(77, this server has 22\)/);
    assert.match(refusal(req({ plugin: 'nosuch' }), id) ?? '', /no plugin named nosuch/);
    assert.match(refusal(req({ plugin: 'constructor' }), id) ?? '', /no plugin named/);
    assert.match(refusal(req({ env: { CNI_NETNS: 'netns/x' } }), id) ?? '', /relative CNI_NETNS/);
    assert.match(refusal(req({ env: { CNI_PATH: '/opt/cni/bin:bin' } }), id) ?? '', /relative CNI_PATH/);
  });

  it('any build when it runs from source (no hash in its file name)', () => {
    assert.equal(refusal(req({ coreHash: 'whatever' }), { ...id, coreHash: undefined }), undefined);
    assert.equal(coreHashOf('/opt/cni/bin/.tscni-core-80ec94cda304.cjs'), '80ec94cda304');
    assert.equal(coreHashOf('/work/packages/plugins/lib/main.js'), undefined);
  });

  it('takes Go-style flags', () => {
    assert.deepEqual(parseServerFlags([]), { socket: '/run/tscni/server.sock', verbose: false });
    assert.deepEqual(parseServerFlags(['-socket', '/tmp/s', '--verbose']), { socket: '/tmp/s', verbose: true });
    assert.deepEqual(parseServerFlags(['--socket=/tmp/t']), { socket: '/tmp/t', verbose: false });
    assert.throws(() => parseServerFlags(['-socket']), /flag needs an argument/);
    assert.throws(() => parseServerFlags(['-port', '1']), /flag provided but not defined: -port/);
  });
});

describe('the tscni server at its limit', () => {
  it('refuses a request beyond maxInFlight without accepting it (the shim then runs the plugin), and says why once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tscni-limit-'));
    const lines: string[] = [];
    const id = ownIdentity(undefined);
    const server = pluginServer(id, { log: (l) => lines.push(l), maxInFlight: 0 });
    const path = join(dir, 's.sock');
    await new Promise<void>((r) => server.listen(path, r));
    try {
      const ns = id.namespaces;
      const req = `TSCNI1 h ${ns.net} ${ns.mnt} ${ns.pid} ${ns.user} ${id.umask.toString(8)} 1 0 loopback\nCNI_COMMAND=ADD\0`;
      for (let i = 0; i < 2; i++) {
        const got = await new Promise<string>((resolve) => {
          let data = '';
          const s = connect(path, () => s.write(req));
          s.on('data', (d: Buffer) => (data += d.toString()));
          s.on('close', () => resolve(data));
          s.on('error', () => resolve(data));
        });
        assert.equal(got, '', 'closed without an A');
      }
      assert.deepEqual(lines, ["running a request's plugin in its own process: more than 0 requests at once"]);
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
