/**
 * A failed system call: the operation, the errno and its name, so that callers can tell
 * "does not exist" from "permission denied" without parsing text.
 */
import { constants } from 'node:os';

// Built on the first error, not at load: most plugin runs never fail a system call, and
// reading `os.constants` loads the os module (the bundle loads built-ins on first use).
let errnoNames: ReadonlyMap<number, string> | undefined;

/** The symbolic name of an errno value (`ENOENT`), or `E<n>` for one Node does not name. */
export function errnoName(errno: number): string {
  errnoNames ??= new Map(Object.entries(constants.errno).map(([name, value]) => [value, name] as [number, string]));
  return errnoNames.get(errno) ?? `E${errno}`;
}

/**
 * @example
 *   try { setns(fd, CLONE_NEWNET) } catch (e) { if (e instanceof SysError && e.code === 'EINVAL') ... }
 */
export class SysError extends Error {
  readonly errno: number;
  readonly code: string;
  readonly op: string;

  constructor(op: string, errno: number, detail?: string) {
    const code = errnoName(errno);
    super(`${op}: ${detail ? `${detail}: ` : ''}${describeErrno(errno)} (${code})`);
    this.name = 'SysError';
    this.op = op;
    this.errno = errno;
    this.code = code;
  }
}

/** The C library's text for an errno value, for messages. */
export function describeErrno(errno: number): string {
  return ERRNO_TEXT[errnoName(errno)] ?? `errno ${errno}`;
}

/** The C library's text for an errno name (`ENOENT`), for messages. */
export function describeErrnoName(code: string): string {
  return ERRNO_TEXT[code] ?? code;
}

// The texts users meet in network plugins; strerror() wording.
const ERRNO_TEXT: Readonly<Record<string, string>> = {
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory',
  ESRCH: 'no such process',
  EINTR: 'interrupted system call',
  EIO: 'input/output error',
  EBADF: 'bad file descriptor',
  EAGAIN: 'resource temporarily unavailable',
  ENOMEM: 'cannot allocate memory',
  EACCES: 'permission denied',
  EBUSY: 'device or resource busy',
  EEXIST: 'file exists',
  ENODEV: 'no such device',
  ENOTDIR: 'not a directory',
  EINVAL: 'invalid argument',
  ENFILE: 'too many open files in system',
  EMFILE: 'too many open files',
  ENOSPC: 'no space left on device',
  ERANGE: 'numerical result out of range',
  EDEADLK: 'resource deadlock avoided',
  ENAMETOOLONG: 'file name too long',
  ENOTEMPTY: 'directory not empty',
  ENODATA: 'no data available',
  EOPNOTSUPP: 'operation not supported',
  EAFNOSUPPORT: 'address family not supported by protocol',
  EADDRINUSE: 'address already in use',
  EADDRNOTAVAIL: 'cannot assign requested address',
  ENETDOWN: 'network is down',
  ENETUNREACH: 'network is unreachable',
  ENOBUFS: 'no buffer space available',
  ETIMEDOUT: 'connection timed out',
  ECONNREFUSED: 'connection refused',
  EHOSTUNREACH: 'no route to host',
  EPROTONOSUPPORT: 'protocol not supported',
  EMSGSIZE: 'message too long',
};
