/**
 * flannel: a meta plugin that turns the node's flannel lease (subnet.env) into the config of
 * another plugin (bridge by default, with host-local IPAM over the node's subnets), stores that
 * config under `dataDir` and runs the plugin through CNI_PATH; DEL runs it again with the
 * stored config. As flannel-io/cni-plugin does, with two deliberate differences: the stored
 * file is written atomically, and it is kept when the delegate's DEL fails (the reference
 * deletes it, so a retried DEL can no longer find the delegate). CHECK does nothing, as in
 * the reference.
 */
import type { CmdArgs, Handlers } from '@tscni/skel';
import { parseConfig } from '@tscni/skel/config';
import { goErrnoText } from '@tscni/spec/errno';
import { CniError, ErrorCode, isCniError } from '@tscni/spec/errors';
import { goSyntaxError, jsonTypeName, type JsonObject } from '@tscni/spec/gojson';
import { delegateAdd, delegateDel, type DelegateOptions } from '@tscni/spec/invoke';
import type { Result } from '@tscni/spec/result-types';
import { InProcessExec } from '../../in-process-exec.js';
import { renderDelegate, type FlannelConf } from './delegate-conf.js';
import { DEFAULT_DATA_DIR, dropScratch, readScratch, saveScratch, scratchPath } from './scratch.js';
import { DEFAULT_SUBNET_FILE, loadSubnetEnv } from './subnet-env.js';

interface Conf extends FlannelConf {
  subnetFile: string;
  dataDir: string;
}

function loadConf(args: CmdArgs): Conf {
  const c = parseConfig(args.stdinData, (r) => ({
    subnetFile: r.string('subnetFile', DEFAULT_SUBNET_FILE),
    dataDir: r.string('dataDir', DEFAULT_DATA_DIR),
    delegate: r.optionalObject('delegate'),
  }));
  // The reference would keep its files relative to wherever the runtime runs it.
  if (c.dataDir === '') throw new CniError(ErrorCode.InvalidNetworkConfig, 'config field dataDir: must not be empty');
  const conf: Conf = { name: c.name, cniVersion: c.cniVersion, subnetFile: c.subnetFile, dataDir: c.dataDir };
  if (c.delegate !== undefined) conf.delegate = c.delegate;
  if (c.ipam !== undefined) conf.ipam = c.ipam as JsonObject;
  if (c.runtimeConfig !== undefined) conf.runtimeConfig = c.runtimeConfig;
  return conf;
}

function delegateOptions(args: CmdArgs): DelegateOptions {
  return { env: args.env as NodeJS.ProcessEnv, exec: new InProcessExec() };
}

function fileError(what: string, path: string, e: unknown): CniError {
  const code = (e as NodeJS.ErrnoException).code;
  const reason = (code !== undefined ? goErrnoText(code) : undefined) ?? (e as Error).message;
  return new CniError(ErrorCode.Internal, `failed to ${what} ${path}: ${reason}`);
}

async function add(args: CmdArgs): Promise<Result> {
  const conf = loadConf(args);
  const env = loadSubnetEnv(conf.subnetFile);
  const delegate = renderDelegate(conf, env);
  process.stderr.write(`delegateAdd: netconf sent to delegate plugin:\n${delegate.bytes}`);
  // Stored before the delegate runs, so that the DEL after a failed ADD cleans up after it.
  try {
    saveScratch(conf.dataDir, args.containerID, delegate.bytes);
  } catch (e) {
    throw fileError('save the delegate config to', scratchPath(conf.dataDir, args.containerID), e);
  }
  try {
    return await delegateAdd(delegate.type, delegate.bytes, delegateOptions(args));
  } catch (e) {
    // The delegate's own error is passed on as it is; the reference's skel unwraps it too.
    if (isCniError(e)) throw e;
    throw new CniError(ErrorCode.Internal, `failed to delegate add: ${(e as Error).message}`);
  }
}

/** The stored config's `type`, or why it cannot be read as a NetConf (the reference's decode). */
function storedType(bytes: Buffer): { type: string } | { error: string } {
  const syntax = goSyntaxError(bytes);
  if (syntax !== undefined) return { error: syntax };
  const v: unknown = JSON.parse(bytes.toString('utf8'));
  if (v === null) return { type: '' };
  if (typeof v !== 'object' || Array.isArray(v)) return { error: `json: cannot unmarshal ${jsonTypeName(v)} into Go value of type types.NetConf` };
  let type = '';
  for (const [key, value] of Object.entries(v as Record<string, unknown>)) {
    const field = ['cniversion', 'name', 'type'].find((f) => f === key.toLowerCase());
    if (field === undefined || value === null) continue;
    if (typeof value !== 'string') return { error: `json: cannot unmarshal ${jsonTypeName(value)} into Go struct field NetConf.${field === 'cniversion' ? 'cniVersion' : field} of type string` };
    if (field === 'type') type = value;
  }
  return { type };
}

async function del(args: CmdArgs): Promise<void> {
  const conf = loadConf(args);
  let bytes: Buffer | undefined;
  try {
    bytes = readScratch(conf.dataDir, args.containerID);
  } catch (e) {
    throw fileError('read', scratchPath(conf.dataDir, args.containerID), e);
  }
  if (bytes === undefined) return; // never added, or already deleted
  const stored = storedType(bytes);
  if ('error' in stored) {
    // As the reference: nothing can be undone without the delegate, and DEL must not fail forever.
    process.stderr.write(`failed to parse netconf: ${stored.error}`);
    return;
  }
  // The ADD-time config, so DEL-time runtimeConfig is not passed on (as in the reference).
  await delegateDel(stored.type, bytes, delegateOptions(args)).catch((e: unknown) => {
    if (isCniError(e)) throw e;
    throw new CniError(ErrorCode.Internal, (e as Error).message);
  });
  dropScratch(conf.dataDir, args.containerID);
}

export const handlers: Handlers = { add, del };
