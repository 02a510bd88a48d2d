/**
 * The words the reference's messages use for a failed netlink request: Go prints a kernel
 * refusal as the errno's text ("network is unreachable") and a missing link as its netlink
 * library's "Link not found", where our errors carry more (the request, the errno's name).
 */
import { isNotFound, LinkNotFoundError } from '@tscni/netlink/rtnl/errors';
import { describeErrno, SysError } from '@tscni/netlink/sys-error';

/**
 * @example `Failed to add default route to 10.1.0.1: ${kernelWords(e)}` // '...: network is unreachable'
 */
export function kernelWords(e: unknown): string {
  if (e instanceof LinkNotFoundError && isNotFound(e)) return 'Link not found';
  if (e instanceof SysError) return describeErrno(e.errno);
  return e instanceof Error ? e.message : String(e);
}
