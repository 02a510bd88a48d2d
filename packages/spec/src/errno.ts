/**
 * Go's wording (strerror, as its syscall.Errno prints) of the errno values that file and
 * process operations meet, for messages that must read like the reference's.
 */

const ERRNO_TEXT: Readonly<Record<string, string>> = {
  E2BIG: 'argument list too long',
  EACCES: 'permission denied',
  EAGAIN: 'resource temporarily unavailable',
  EDQUOT: 'disk quota exceeded',
  EEXIST: 'file exists',
  EINVAL: 'invalid argument',
  EIO: 'input/output error',
  EISDIR: 'is a directory',
  ELOOP: 'too many levels of symbolic links',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'file name too long',
  ENFILE: 'too many open files in system',
  ENOENT: 'no such file or directory',
  ENOEXEC: 'exec format error',
  ENOMEM: 'cannot allocate memory',
  ENOSPC: 'no space left on device',
  ENOTDIR: 'not a directory',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ETXTBSY: 'text file busy',
};

/**
 * Go's text for a Node errno code, or undefined for one it does not know.
 *
 * @example goErrnoText('ENOENT') // 'no such file or directory'
 */
export function goErrnoText(code: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(ERRNO_TEXT, code) ? ERRNO_TEXT[code] : undefined;
}
