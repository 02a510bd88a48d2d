/**
 * The reference's guard against a runtime handing a plugin its own network namespace:
 * configuring "the container" would then reconfigure the host.
 */
import { statSync } from 'node:fs';
import { CniError, ErrorCode } from '@tscni/spec/errors';

/** The plugin's own network namespace on Linux. */
export const OWN_NETNS_PATH = '/proc/self/ns/net';

/**
 * The error when `netnsPath` is the plugin's own namespace (same device and inode), else
 * undefined. A path that cannot be reached is not an error: DEL may come after the namespace
 * is gone. Outside Linux there are no namespaces to compare.
 *
 * @example checkNetNS('/proc/self/ns/net') // CniError 8 "plugin's netns and netns from CNI_NETNS should not be the same"
 */
export function checkNetNS(netnsPath: string, ownNetnsPath: string = OWN_NETNS_PATH): CniError | undefined {
  if (process.platform !== 'linux') return undefined;
  let target;
  try {
    target = statSync(netnsPath, { bigint: true });
  } catch {
    return undefined;
  }
  let own;
  try {
    own = statSync(ownNetnsPath, { bigint: true });
  } catch {
    return new CniError(ErrorCode.InvalidNetNS, "get plugin's netns failed");
  }
  if (target.dev === own.dev && target.ino === own.ino) {
    return new CniError(ErrorCode.InvalidNetNS, "plugin's netns and netns from CNI_NETNS should not be the same");
  }
  return undefined;
}

/**
 * Whether CNI_NETNS_OVERRIDE turns the check off: `TRUE` in any case, or `1`.
 *
 * @example netnsCheckOverridden('true') // true
 */
export function netnsCheckOverridden(netnsOverride: string): boolean {
  return netnsOverride.toUpperCase() === 'TRUE' || netnsOverride === '1';
}
