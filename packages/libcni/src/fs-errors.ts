/**
 * File-system failures worded as Go's *os.PathError prints them ("open /x: no such file or
 * directory"), because libcni's messages embed them verbatim.
 */

/** Go's strerror texts for the errno values file operations meet. */
const ERRNO_TEXT: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  EEXIST: 'file exists',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'file name too long',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EIO: 'input/output error',
  EMFILE: 'too many open files',
  EINVAL: 'invalid argument',
};

/** Node's syscall names where Go names the operation differently. */
const GO_OP: Readonly<Record<string, string>> = { scandir: 'open' };

interface NodeFsError {
  code?: unknown;
  syscall?: unknown;
  path?: unknown;
  message?: unknown;
}

/**
 * The text Go would print for a failed file operation.
 *
 * @example goPathErrorText(enoentFromReadFile) // 'open /etc/cni/net.d/x.conf: no such file or directory'
 */
export function goPathErrorText(err: unknown, fallbackPath = ''): string {
  const e = (err ?? {}) as NodeFsError;
  const code = typeof e.code === 'string' ? e.code : '';
  const text = ERRNO_TEXT[code];
  const syscall = typeof e.syscall === 'string' ? e.syscall : '';
  if (!text || !syscall) return typeof e.message === 'string' ? e.message : String(err);
  const path = typeof e.path === 'string' ? e.path : fallbackPath;
  return `${GO_OP[syscall] ?? syscall} ${path}: ${text}`;
}

/** Whether a Node fs error says the path does not exist. @example isNotExist(err) // true for ENOENT */
export function isNotExist(err: unknown): boolean {
  return (err as NodeFsError | undefined)?.code === 'ENOENT';
}
