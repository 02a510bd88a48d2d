/**
 * Calling a network's IPAM plugin from a main plugin, as the reference's pkg/ipam does: the
 * plugin named by `ipam.type` is found in CNI_PATH and gets the whole request config and the
 * plugin's environment with CNI_COMMAND replaced. When that plugin is tscni's own it runs
 * in-process (same code, same result, no second Node start). Results come back as 1.1.0.
 */
import type { CmdArgs } from '@tscni/skel';
import { delegateAdd, delegateCheck, delegateDel, delegateGC, delegateStatus, type DelegateOptions } from '@tscni/spec/invoke';
import { toCurrentResult } from '@tscni/spec/result-convert';
import type { Result100 } from '@tscni/spec/result-types';
import { InProcessExec } from './in-process-exec.js';

function options(args: CmdArgs): DelegateOptions {
  return { env: args.env as NodeJS.ProcessEnv, exec: new InProcessExec() };
}

/**
 * ADD through the IPAM plugin; its result as 1.1.0.
 *
 * @example const ipam = await ipamAdd(args, conf.ipam.type);
 */
export async function ipamAdd(args: CmdArgs, ipamType: string): Promise<Result100> {
  return toCurrentResult(await delegateAdd(ipamType, args.stdinData, options(args)));
}

/** @example await ipamDel(args, conf.ipam.type) */
export async function ipamDel(args: CmdArgs, ipamType: string): Promise<void> {
  await delegateDel(ipamType, args.stdinData, options(args));
}

/** @example await ipamCheck(args, conf.ipam.type) */
export async function ipamCheck(args: CmdArgs, ipamType: string): Promise<void> {
  await delegateCheck(ipamType, args.stdinData, options(args));
}

/** @example await ipamGC(args, conf.ipam.type) */
export async function ipamGC(args: CmdArgs, ipamType: string): Promise<void> {
  await delegateGC(ipamType, args.stdinData, options(args));
}

/** @example await ipamStatus(args, conf.ipam.type) */
export async function ipamStatus(args: CmdArgs, ipamType: string): Promise<void> {
  await delegateStatus(ipamType, args.stdinData, options(args));
}
