/**
 * The `cni.dev/valid-attachments` list of a GC request (spec 1.1.0): the attachments the
 * runtime still uses, whose resources GC must keep.
 */
import { ConfigError, ConfigReader } from '@tscni/skel';
import type { JsonObject } from '@tscni/spec/gojson';

/** One live attachment. */
export interface ValidAttachment {
  containerID: string;
  ifname: string;
}

const KEY = 'cni.dev/valid-attachments';

/**
 * The list, or undefined when the request has none. The key holds dots, so it is read
 * directly rather than by dotted path; missing fields read as `''`, as Go fills a struct.
 *
 * @example validAttachments({ 'cni.dev/valid-attachments': [{ containerID: 'c1', ifname: 'eth0' }] }) // [{ containerID: 'c1', ifname: 'eth0' }]
 */
export function validAttachments(config: JsonObject): ValidAttachment[] | undefined {
  const raw = config[KEY];
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw)) throw new ConfigError(KEY, `expected an array, got ${typeof raw}`);
  return raw.map((item, i) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      throw new ConfigError(`${KEY}.${i}`, `expected an object, got ${item === null ? 'null' : Array.isArray(item) ? 'array' : typeof item}`);
    }
    const r = new ConfigReader(item);
    try {
      return { containerID: r.string('containerID', ''), ifname: r.string('ifname', '') };
    } catch (e) {
      throw e instanceof ConfigError ? new ConfigError(`${KEY}.${i}.${e.path}`, e.reason) : e;
    }
  });
}
