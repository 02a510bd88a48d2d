/**
 * Validation of container IDs, network names and interface names with the reference's
 * rules, codes and messages. Each returns the error, or undefined when the value is valid.
 */
import { CniError, ErrorCode } from './errors.js';

const VALID_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/**
 * @example validateContainerID('') // CniError code 3 "missing containerID"
 */
export function validateContainerID(containerID: string): CniError | undefined {
  if (containerID === '') return new CniError(ErrorCode.UnknownContainer, 'missing containerID');
  if (!VALID_NAME.test(containerID)) {
    return new CniError(ErrorCode.InvalidEnvironmentVariables, 'invalid characters in containerID', containerID);
  }
  return undefined;
}

/**
 * @example validateNetworkName('my net') // CniError code 7 "invalid characters found in network name"
 */
export function validateNetworkName(name: string): CniError | undefined {
  if (name === '') return new CniError(ErrorCode.InvalidNetworkConfig, 'missing network name:');
  if (!VALID_NAME.test(name)) {
    return new CniError(ErrorCode.InvalidNetworkConfig, 'invalid characters found in network name', name);
  }
  return undefined;
}

/** Go's unicode.IsSpace, spelled out: JS's \s differs (it has U+FEFF and lacks U+0085). */
const GO_SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u;

/** The kernel's longest interface name, in bytes. */
export const IFNAMSIZ_MAX = 15;

/**
 * The kernel's dev_valid_name rules as the reference checks them; length counts UTF-8 bytes.
 *
 * @example validateInterfaceName('eth0') // undefined
 */
export function validateInterfaceName(ifName: string): CniError | undefined {
  const code = ErrorCode.InvalidEnvironmentVariables;
  if (ifName === '') return new CniError(code, 'interface name is empty');
  if (Buffer.byteLength(ifName, 'utf8') > IFNAMSIZ_MAX) {
    return new CniError(code, 'interface name is too long', `interface name should be less than ${IFNAMSIZ_MAX + 1} characters`);
  }
  if (ifName === '.' || ifName === '..') return new CniError(code, 'interface name is . or ..');
  if (/[/:]/.test(ifName) || GO_SPACE.test(ifName)) {
    return new CniError(code, 'interface name contains / or : or whitespace characters');
  }
  return undefined;
}
