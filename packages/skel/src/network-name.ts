/**
 * The one check skel makes of every request config (except VERSION's): it decodes as the
 * reference's `struct { Name string "json:\"name\"" }` and carries a valid network name.
 */
import { CniError, ErrorCode } from '@tscni/spec/errors';
import { jsonTypeName, parseJson } from '@tscni/spec/gojson';
import { validateNetworkName } from '@tscni/spec/validate';

const GO_STRUCT = 'struct { Name string "json:\\"name\\"" }';

function undecodable(reason: string): CniError {
  return new CniError(ErrorCode.DecodingFailure, `error unmarshall network config: ${reason}`);
}

/**
 * The error skel gives for this config, or undefined when it is acceptable.
 *
 * @example checkNetworkName('{"name":"te%%st"}') // CniError 7 "invalid characters found in network name"
 */
export function checkNetworkName(stdinData: Uint8Array): CniError | undefined {
  let value;
  try {
    value = parseJson(stdinData);
  } catch (e) {
    return undecodable((e as Error).message);
  }
  let name = '';
  if (value !== null) {
    if (typeof value !== 'object' || Array.isArray(value)) {
      return undecodable(`json: cannot unmarshal ${jsonTypeName(value)} into Go value of type ${GO_STRUCT}`);
    }
    // Go matches object keys to struct fields case-insensitively, the last match winning,
    // and leaves the field alone for null.
    for (const [key, v] of Object.entries(value)) {
      if (key.toLowerCase() !== 'name' || v === null) continue;
      if (typeof v !== 'string') {
        return undecodable(`json: cannot unmarshal ${jsonTypeName(v)} into Go struct field .name of type string`);
      }
      name = v;
    }
  }
  if (name === '') return new CniError(ErrorCode.InvalidNetworkConfig, 'missing network name');
  return validateNetworkName(name);
}
