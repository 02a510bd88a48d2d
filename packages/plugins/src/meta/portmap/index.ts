/**
 * portmap: forwards host ports to the container (reference §4.1), chained after a plugin that
 * gave the container its addresses. For each family the container has, traffic to a mapped
 * host port on a local address is DNATed to the container; with `snat` (the default) hairpin
 * and localhost connections are masqueraded so that replies come back through the host, and
 * the host interface towards an IPv4 container gets `route_localnet`. The previous result is
 * passed through.
 *
 * DEL finds the container's rules by network name and container ID alone, so it cleans up
 * when the runtime passes no `portMappings` (the reference then removes nothing).
 */
import type { CmdArgs, Handlers } from '@tscni/skel';
import { CniError, ErrorCode } from '@tscni/spec/errors';
import type { Result } from '@tscni/spec/result-types';
import { defaultBackend } from '../../netfilter/probe.js';
import { loadPortMapConf, type PortMapConf } from './config.js';

/** The config, with the reference's `failed to parse config:` in front of ADD and DEL errors. */
function loadConf(args: CmdArgs, prefixed: boolean): PortMapConf {
  try {
    return loadPortMapConf(args, () => defaultBackend());
  } catch (e) {
    if (prefixed && e instanceof CniError) throw new CniError(e.code, `failed to parse config: ${e.msg}`, e.details);
    throw e;
  }
}

async function add(args: CmdArgs): Promise<Result> {
  const conf = loadConf(args, true);
  if (!conf.prevResult) throw new CniError(ErrorCode.InvalidNetworkConfig, 'must be called as chained plugin');
  if (conf.portMappings.length === 0 || conf.containerNets.length === 0) return conf.prevResult;
  const { forwardPorts } = await import('./forward.js');
  forwardPorts(conf, args.containerID);
  return conf.prevResult;
}

async function del(args: CmdArgs): Promise<void> {
  const conf = loadConf(args, true);
  const { unforwardPorts } = await import('./forward.js');
  unforwardPorts(conf, args.containerID);
}

async function check(args: CmdArgs): Promise<void> {
  const conf = loadConf(args, false);
  if (!conf.prevResult) throw new CniError(ErrorCode.InvalidNetworkConfig, 'Required prevResult missing');
  if (conf.portMappings.length === 0) return;
  const { checkPorts } = await import('./forward.js');
  checkPorts(conf, args.containerID);
}

export const handlers: Handlers = { add, del, check };
