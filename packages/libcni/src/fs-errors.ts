/**
 * File-system failures worded as Go's *os.PathError prints them ("open /x: no such file or
 * directory"), because libcni's messages embed them verbatim.
 */
import { goErrnoText } from '@tscni/spec/errno';

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
  const text = goErrnoText(code);
  const syscall = typeof e.syscall === 'string' ? e.syscall : '';
  if (!text || !syscall) return typeof e.message === 'string' ? e.message : String(err);
  const path = typeof e.path === 'string' ? e.path : fallbackPath;
  return `${GO_OP[syscall] ?? syscall} ${path}: ${text}`;
}

/** Whether a Node fs error says the path does not exist. @example isNotExist(err) // true for ENOENT */
export function isNotExist(err: unknown): boolean {
  return (err as NodeFsError | undefined)?.code === 'ENOENT';
}
