/**
 * The few libc calls Node does not offer (setns, netlink and packet sockets, flock), behind a
 * small interface so that a native addon could replace the FFI implementation. Loaded on
 * first use: koffi costs about 12 ms, which VERSION and most DELs never pay.
 */
import { createRequire } from 'node:module';
import { SysError } from './sys-error.js';

export interface Libc {
  /** setns(2); throws SysError. */
  setns(fd: number, nstype: number): void;
  /** unshare(2); throws SysError. */
  unshare(flags: number): void;
  /** socket(2): a new file descriptor; throws SysError. */
  socket(domain: number, type: number, protocol: number): number;
  /** bind(2) with a raw sockaddr. */
  bind(fd: number, addr: Uint8Array): void;
  /** sendto(2) with an optional raw sockaddr; the bytes sent. */
  sendto(fd: number, buf: Uint8Array, flags: number, addr?: Uint8Array): number;
  /** recv(2) into `buf`; the bytes received (with MSG_TRUNC, the full length). */
  recv(fd: number, buf: Uint8Array, flags: number): number;
  /** setsockopt(2) with a raw option value. */
  setsockopt(fd: number, level: number, name: number, value: Uint8Array): void;
  /** getsockname(2): the raw sockaddr. */
  getsockname(fd: number, size: number): Uint8Array;
  /** close(2). */
  close(fd: number): void;
  /** flock(2). */
  flock(fd: number, operation: number): void;
  /** The calling thread's id (gettid(2)). */
  gettid(): number;
  /** ioctl(2) with a pointer to `arg`'s bytes, or with an integer argument. */
  ioctl(fd: number, request: number, arg: Uint8Array | number): number;
}

export const CLONE_NEWNET = 0x40000000;
export const LOCK_SH = 1;
export const LOCK_EX = 2;
export const LOCK_NB = 4;
export const LOCK_UN = 8;

type Fn = (...args: unknown[]) => number | bigint;

interface Koffi {
  load(path: string): { func(signature: string): Fn };
  errno(): number;
}

function createFfiLibc(): Libc {
  // Bundles are CommonJS and call require('koffi') directly, so that the single-executable
  // build can map it to the addon it carries; unbundled lib/ is ESM and has no require.
  const koffi = (typeof require === 'function' ? require('koffi') : createRequire(import.meta.url)('koffi')) as Koffi;
  const lib = koffi.load('libc.so.6');
  const f = (sig: string): Fn => lib.func(sig);
  const c = {
    setns: f('int setns(int fd, int nstype)'),
    unshare: f('int unshare(int flags)'),
    socket: f('int socket(int domain, int type, int protocol)'),
    bind: f('int bind(int fd, const void *addr, uint32_t addrlen)'),
    sendto: f('intptr_t sendto(int fd, const void *buf, uintptr_t len, int flags, const void *addr, uint32_t addrlen)'),
    recv: f('intptr_t recv(int fd, void *buf, uintptr_t len, int flags)'),
    setsockopt: f('int setsockopt(int fd, int level, int name, const void *value, uint32_t len)'),
    getsockname: f('int getsockname(int fd, void *addr, _Inout_ uint32_t *addrlen)'),
    close: f('int close(int fd)'),
    flock: f('int flock(int fd, int operation)'),
    gettid: f('int gettid()'),
    // ioctl is variadic; its third argument is a pointer or an integer depending on the request.
    ioctlPtr: f('int ioctl(int fd, unsigned long request, void *arg)'),
    ioctlInt: f('int ioctl(int fd, unsigned long request, unsigned long arg)'),
  };
  const check = (op: string, r: number | bigint, detail?: string): number => {
    const n = Number(r);
    if (n < 0) throw new SysError(op, koffi.errno(), detail);
    return n;
  };
  return {
    setns: (fd, nstype) => void check('setns', c.setns(fd, nstype)),
    unshare: (flags) => void check('unshare', c.unshare(flags)),
    socket: (domain, type, protocol) => check('socket', c.socket(domain, type, protocol)),
    bind: (fd, addr) => void check('bind', c.bind(fd, addr, addr.length)),
    sendto: (fd, buf, flags, addr) => check('sendto', c.sendto(fd, buf, buf.length, flags, addr ?? null, addr?.length ?? 0)),
    recv: (fd, buf, flags) => check('recv', c.recv(fd, buf, buf.length, flags)),
    setsockopt: (fd, level, name, value) => void check('setsockopt', c.setsockopt(fd, level, name, value, value.length)),
    getsockname: (fd, size) => {
      const buf = new Uint8Array(size);
      const len = [size];
      check('getsockname', c.getsockname(fd, buf, len));
      return buf.subarray(0, Math.min(size, len[0]!));
    },
    close: (fd) => void check('close', c.close(fd)),
    flock: (fd, operation) => void check('flock', c.flock(fd, operation)),
    gettid: () => Number(c.gettid()),
    ioctl: (fd, request, arg) => check('ioctl', typeof arg === 'number' ? c.ioctlInt(fd, request, arg) : c.ioctlPtr(fd, request, arg)),
  };
}

let current: Libc | undefined;

/**
 * The libc in use, created on first call.
 *
 * @example libc().setns(fd, CLONE_NEWNET)
 */
export function libc(): Libc {
  current ??= createFfiLibc();
  return current;
}

/**
 * Replaces the implementation (a native addon, or a double in a test).
 *
 * @example useLibc(myAddon)
 */
export function useLibc(impl: Libc): void {
  current = impl;
}
