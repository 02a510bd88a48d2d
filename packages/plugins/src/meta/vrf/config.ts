/**
 * vrf's config (reference §4.6): `vrfname`, the VRF to create or join, and `table`, its
 * routing table (0: the lowest one no other VRF of the namespace uses).
 */
import { parseConfig, type CmdArgs } from '@tscni/skel';
import { CniError, ErrorCode } from '@tscni/spec/errors';
import type { Result } from '@tscni/spec/result-types';

export interface VrfConf {
  vrfName: string;
  /** 0: chosen when the VRF is made. */
  table: number;
}

/**
 * @example loadVrfConf(args) // { vrfName: 'blue', table: 0 }
 */
export function loadVrfConf(args: CmdArgs): VrfConf {
  const conf = parseConfig(args.stdinData, (c) => ({
    vrfName: c.string('vrfname', ''),
    // A uint32 in the reference.
    table: c.integer('table', { min: 0, max: 0xffffffff }, 0),
  }));
  if (conf.vrfName === '') throw new CniError(ErrorCode.InvalidNetworkConfig, 'configuration is expected to have a valid vrf name');
  return { vrfName: conf.vrfName, table: conf.table };
}

/**
 * The prevResult ADD and CHECK need, or the reference's message (code 7).
 *
 * @example const prev = requirePrevResult(args)
 */
export function requirePrevResult(args: CmdArgs): Result {
  if (args.prevResult === undefined) throw new CniError(ErrorCode.InvalidNetworkConfig, 'missing prevResult from earlier plugin');
  return args.prevResult;
}
