import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { LOCK_EX, LOCK_NB, LOCK_UN, libc } from './libc.js';
import { SysError } from './sys-error.js';

const AF_NETLINK = 16;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0x80000;

describe('libc over FFI', () => {
  it('makes sockets and reports failures with errno, its name and the operation', () => {
    const fd = libc().socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0);
    assert.ok(fd > 2);
    const addr = new Uint8Array(12);
    addr[0] = AF_NETLINK;
    libc().bind(fd, addr);
    const bound = libc().getsockname(fd, 12);
    assert.equal(bound.length, 12);
    assert.equal(bound[0], AF_NETLINK);
    libc().close(fd);
    assert.throws(
      () => libc().socket(999, SOCK_RAW, 0),
      (e: unknown) => e instanceof SysError && e.op === 'socket' && e.code === 'EAFNOSUPPORT' && e.errno === 97 && /address family not supported/.test(e.message),
    );
    assert.throws(() => libc().close(fd), (e: unknown) => e instanceof SysError && e.code === 'EBADF');
    assert.equal(libc().gettid(), process.pid, 'JavaScript runs on the main thread');
  });

  it('locks files with flock against another process', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tscni-flock-'));
    const file = join(dir, 'lock');
    const fd = openSync(file, 'w');
    try {
      libc().flock(fd, LOCK_EX);
      const other = spawn('flock', ['-n', file, 'true']);
      const code = await new Promise<number | null>((r) => other.on('exit', r));
      assert.equal(code, 1, 'held: the other process cannot take it');
      const fd2 = openSync(file, 'r');
      try {
        assert.throws(() => libc().flock(fd2, LOCK_EX | LOCK_NB), (e: unknown) => e instanceof SysError && e.code === 'EWOULDBLOCK' || (e as SysError).code === 'EAGAIN');
      } finally {
        closeSync(fd2);
      }
      libc().flock(fd, LOCK_UN);
      const again = spawn('flock', ['-n', file, 'true']);
      assert.equal(await new Promise<number | null>((r) => again.on('exit', r)), 0);
    } finally {
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
