/**
 * Bridge GC and STATUS (spec 1.1.0). GC removes the network's masquerade rules of every
 * attachment not in `cni.dev/valid-attachments` (both backends) and passes GC on to the IPAM
 * plugin; STATUS is the IPAM plugin's.
 */
import type { CmdArgs } from '@tscni/skel';
import { validAttachments } from '../../conf/valid-attachments.js';
import { ipamGC, ipamStatus } from '../../ipam-exec.js';
import { gcIPMasq } from '../../netfilter/masquerade-ops.js';
import { loadBridgeConf } from './config.js';

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
  gcIPMasq(conf.name, validAttachments(args.config) ?? []);
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
