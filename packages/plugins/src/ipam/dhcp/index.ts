/**
 * dhcp: an IPAM plugin that leases addresses from the network's DHCP server through the
 * tscni DHCP daemon (`dhcp daemon`), which runs one client per attachment inside its
 * container's namespace and keeps the lease renewed. ADD leases (or returns the lease the
 * attachment already has), CHECK verifies the lease without acquiring one, DEL releases it,
 * GC releases the network's leases of attachments that are gone, STATUS says whether the
 * daemon answers.
 */
import { resolve } from 'node:path';
import type { CmdArgs, Handlers } from '@tscni/skel';
import { CniError, ErrorCode } from '@tscni/spec/errors';
import { toCurrentResult } from '@tscni/spec/result-convert';
import type { Result100 } from '@tscni/spec/result-types';
import { validAttachments } from '../../conf/valid-attachments.js';
import { loadDhcpConfig, type DhcpConfig } from './config.js';
import { callDaemon, DaemonUnreachable } from './daemon-client.js';
import type { Attachment, DaemonRequest, Lease } from './protocol.js';
import { leaseResult } from './result.js';

/** The reference's RPC method names, which its error messages carry. */
const METHOD_NAMES: Record<DaemonRequest['method'], string> = {
  allocate: 'DHCP.Allocate',
  check: 'DHCP.Check',
  release: 'DHCP.Release',
  gc: 'DHCP.GC',
  status: 'DHCP.Status',
};

function attachmentOf(args: CmdArgs, conf: DhcpConfig): Attachment {
  // The daemon may run in another working directory.
  return { containerID: args.containerID, netName: conf.name, ifName: args.ifName, netns: args.netns === '' ? '' : resolve(args.netns) };
}

/**
 * One call to the daemon: an unreachable daemon is a transient condition (code 11, the
 * runtime may retry; the reference says 999), a refusal carries the daemon's reason.
 */
async function call(conf: DhcpConfig, request: DaemonRequest): Promise<{ lease?: Lease }> {
  let response;
  try {
    response = await callDaemon(conf.socketPath, request);
  } catch (e) {
    if (e instanceof DaemonUnreachable) throw new CniError(ErrorCode.TryAgainLater, `error dialing DHCP daemon: ${e.message}`);
    throw new CniError(ErrorCode.IOFailure, `error calling ${METHOD_NAMES[request.method]}: ${(e as Error).message}`);
  }
  if (!response.ok) throw new CniError(ErrorCode.Internal, `error calling ${METHOD_NAMES[request.method]}: ${response.error}`);
  return response.lease ? { lease: response.lease } : {};
}

function leaseOrFail(r: { lease?: Lease }, method: string): Lease {
  if (!r.lease) throw new CniError(ErrorCode.Internal, `error calling ${method}: the daemon answered without a lease`);
  return r.lease;
}

async function add(args: CmdArgs): Promise<Result100> {
  const conf = loadDhcpConfig(args.stdinData, args.args);
  const request: DaemonRequest = {
    method: 'allocate',
    attachment: attachmentOf(args, conf),
    provide: conf.provide.map((p) => ({ code: p.code, value: Buffer.from(p.value).toString('base64') })),
    request: conf.request,
  };
  return leaseResult(leaseOrFail(await call(conf, request), METHOD_NAMES.allocate), conf.priority);
}

/**
 * The attachment must hold a live lease (CHECK never acquires one, where the reference's
 * CHECK leases a new address for an unknown attachment), and the previous result, when
 * there is one, must carry the leased address.
 */
async function check(args: CmdArgs): Promise<void> {
  const conf = loadDhcpConfig(args.stdinData, args.args);
  const lease = leaseOrFail(await call(conf, { method: 'check', attachment: attachmentOf(args, conf) }), METHOD_NAMES.check);
  const prev = args.prevResult;
  if (!prev) return;
  const address = `${lease.address}/${lease.prefixLength}`;
  const ips = toCurrentResult(prev).ips ?? [];
  if (!ips.some((ip) => ip.address === address)) {
    throw new CniError(ErrorCode.Internal, `dhcp: the leased address ${address} of ${args.containerID}/${conf.name}/${args.ifName} is not in prevResult`);
  }
}

async function del(args: CmdArgs): Promise<void> {
  const conf = loadDhcpConfig(args.stdinData, args.args);
  await call(conf, { method: 'release', attachment: attachmentOf(args, conf) });
}

async function gc(args: CmdArgs): Promise<void> {
  const conf = loadDhcpConfig(args.stdinData, args.args);
  const valid = validAttachments(args.config);
  if (!valid) return;
  await call(conf, { method: 'gc', netName: conf.name, valid: valid.map((a) => ({ containerID: a.containerID, ifName: a.ifname })) });
}

async function status(args: CmdArgs): Promise<void> {
  const conf = loadDhcpConfig(args.stdinData, args.args);
  try {
    await callDaemon(conf.socketPath, { method: 'status' });
  } catch (e) {
    throw new CniError(ErrorCode.PluginNotAvailable, `the DHCP daemon does not answer: ${(e as Error).message}`);
  }
}

export const handlers: Handlers = { add, check, del, gc, status };
