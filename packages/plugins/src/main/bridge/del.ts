/**
 * Bridge DEL: the container's veth (which takes the host end along), the IPAM lease, the MAC
 * spoof check and the masquerade rules. Unlike the reference, the rules are found by their
 * names and comments, so they go even when the container namespace is already gone. The
 * bridge, its addresses and forwarding stay, as in the reference. Running DEL again is fine.
 */
import type { CmdArgs } from '@tscni/skel';
import { ipamDel } from '../../ipam-exec.js';
import { removeContainerLink } from '../../net/container-link.js';
import { teardownIPMasq } from '../../netfilter/masquerade-teardown.js';
import { applyNftBatch } from '../../netfilter/nftables.js';
import { loadBridgeConf } from './config.js';
import { spoofCheckTeardownBatch } from './spoofcheck.js';

/**
 * The DEL handler.
 *
 * @example await del(args)
 */
export async function del(args: CmdArgs): Promise<void> {
  const conf = loadBridgeConf(args.stdinData, args.args);
  const layer3 = conf.ipamType !== '';
  if (args.netns !== '') removeContainerLink(args.netns, args.ifName);
  if (layer3) await ipamDel(args, conf.ipamType);
  if (conf.macspoofchk) {
    try {
      applyNftBatch(spoofCheckTeardownBatch(args.containerID, args.ifName));
    } catch (e) {
      // As in the reference: a leftover spoof check must not make DEL fail forever.
      process.stderr.write(`failed to teardown spoof-check: ${(e as Error).message}\n`);
    }
  }
  if (layer3 && conf.ipMasq) teardownIPMasq({ network: conf.name, ifname: args.ifName, containerID: args.containerID });
}
