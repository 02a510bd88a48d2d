/**
 * The two ends of a container link's life (and STATUS) that every plugin putting one link into the
 * container shares: DEL (release the IPAM lease, remove the link; both fine when already
 * gone) and the undo of a failed ADD (the link, and the lease when one was taken).
 */
import { parseConfig, type CmdArgs } from '@tscni/skel';
import { ipamDel, ipamStatus } from './ipam-exec.js';
import { removeContainerLink } from './net/container-link.js';

/**
 * @example await releaseAttachment(args, conf.ipamType)
 */
export async function releaseAttachment(args: CmdArgs, ipamType: string): Promise<void> {
  if (ipamType !== '') await ipamDel(args, ipamType);
  if (args.netns !== '') removeContainerLink(args.netns, args.ifName);
}

/**
 * Best effort: the ADD's own error is what the runtime must see.
 *
 * @example catch (e) { await undoAttachment(args, conf.ipamType, allocated); throw e; }
 */
export async function undoAttachment(args: CmdArgs, ipamType: string, allocated: boolean): Promise<void> {
  removeContainerLink(args.netns, args.ifName);
  if (allocated) await ipamDel(args, ipamType).catch(() => undefined);
}

/**
 * STATUS of a plugin whose IPAM is optional: the IPAM plugin's, when one is configured.
 *
 * @example export const handlers = { add, del, check, status: ipamStatusIfAny };
 */
export async function ipamStatusIfAny(args: CmdArgs): Promise<void> {
  const ipamType = parseConfig(args.stdinData, (c) => ({ ipamType: c.string('ipam.type', '') })).ipamType;
  if (ipamType !== '') await ipamStatus(args, ipamType);
}
