/**
 * Bridge GC and STATUS (spec 1.1.0). GC removes the network's masquerade rules of every
 * attachment not in `cni.dev/valid-attachments` (both backends) and passes GC on to the IPAM
 * plugin; STATUS is the IPAM plugin's.
 */
import { ConfigError, ConfigReader, type CmdArgs } from '@tscni/skel';
import type { JsonObject } from '@tscni/spec/gojson';
import { ipamGC, ipamStatus } from '../../ipam-exec.js';
import { gcIPMasq } from '../../netfilter/masquerade-ops.js';
import { loadBridgeConf } from './config.js';

/** A live attachment, as GC is told about it. */
export interface ValidAttachment {
  containerID: string;
  ifname: string;
}

const VALID_ATTACHMENTS = 'cni.dev/valid-attachments';

/**
 * The `cni.dev/valid-attachments` list of a GC request (the key holds dots, so it is read
 * directly rather than by dotted path).
 *
 * @example validAttachments(args.config) // [{ containerID: 'c1', ifname: 'eth0' }]
 */
export function validAttachments(config: JsonObject): ValidAttachment[] {
  const raw = config[VALID_ATTACHMENTS];
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new ConfigError(VALID_ATTACHMENTS, 'expected an array');
  return raw.map((item, i) => {
    const r = new ConfigReader({ item });
    try {
      return { containerID: r.string('item.containerID'), ifname: r.string('item.ifname') };
    } catch (e) {
      throw e instanceof ConfigError ? new ConfigError(`${VALID_ATTACHMENTS}.${i}${e.path.slice('item'.length)}`, e.reason) : e;
    }
  });
}

/**
 * The GC handler.
 *
 * @example await gc(args)
 */
export async function gc(args: CmdArgs): Promise<void> {
  const conf = loadBridgeConf(args.stdinData, '');
  if (conf.ipamType === '') return;
  // Masquerade exists only for layer-3 networks; the config of today may not say ipMasq
  // although older attachments had it, and the rules are found by network name alone.
  gcIPMasq(conf.name, validAttachments(args.config));
  await ipamGC(args, conf.ipamType);
}

/**
 * The STATUS handler.
 *
 * @example await status(args)
 */
export async function status(args: CmdArgs): Promise<void> {
  const conf = loadBridgeConf(args.stdinData, '');
  if (conf.ipamType !== '') await ipamStatus(args, conf.ipamType);
}
