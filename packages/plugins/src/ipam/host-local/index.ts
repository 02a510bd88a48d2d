/**
 * host-local: IPAM from address ranges, with reservations kept as files under a data
 * directory shared with the reference plugin. ADD reserves one address per range set (a
 * requested one where asked) and returns them with their gateways, the configured routes and
 * DNS from `resolvConf`; DEL releases every reservation of the attachment; CHECK wants at
 * least one; GC releases those of attachments the runtime no longer lists.
 */
import type { CmdArgs, Handlers } from '@tscni/skel';
import type { Result100 } from '@tscni/spec/result-types';
import { formatAddr } from './addr.js';
import { allocate, type Allocation } from './allocator.js';
import { validAttachments } from '../../conf/valid-attachments.js';
import { loadHostLocalConfig, referenceError } from './config.js';
import { rangeContains } from './range.js';
import { readResolvConf } from './resolv-conf.js';
import { Store } from './store.js';

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function add(args: CmdArgs): Result100 {
  const conf = loadHostLocalConfig(args.stdinData, args.args);
  const dns = conf.resolvConf === '' ? undefined : readResolvConf(conf.resolvConf);
  const store = new Store(conf.dataDir, conf.name);
  const ips = store.locked((tx) => {
    const pending = [...conf.requested];
    const got: Allocation[] = [];
    // Only what this ADD reserved: the attachment may hold addresses from before.
    const undo = (): void => got.forEach((a) => tx.release(a.ip));
    conf.rangeSets.forEach((set, idx) => {
      const at = pending.findIndex((ip) => set.some((r) => rangeContains(r, ip)));
      const requested = at >= 0 ? pending.splice(at, 1)[0] : undefined;
      try {
        got.push(allocate(tx, set, idx, args.containerID, args.ifName, requested));
      } catch (e) {
        undo();
        throw referenceError(`failed to allocate for range ${idx}: ${messageOf(e)}`);
      }
    });
    if (pending.length > 0) {
      undo();
      throw referenceError(`failed to allocate all requested IPs: ${pending.map(formatAddr).join(' ')}`);
    }
    return got.map((a) => a.config);
  });
  const result: Result100 = { cniVersion: '1.1.0', ips };
  if (conf.routes) result.routes = conf.routes;
  if (dns) result.dns = dns;
  return result;
}

function del(args: CmdArgs): void {
  const conf = loadHostLocalConfig(args.stdinData, args.args);
  // The reference releases once per range set; the old-format fallback can act on each pass.
  new Store(conf.dataDir, conf.name).locked((tx) => conf.rangeSets.forEach(() => tx.releaseByID(args.containerID, args.ifName)));
}

function check(args: CmdArgs): void {
  const conf = loadHostLocalConfig(args.stdinData, args.args);
  const found = new Store(conf.dataDir, conf.name).locked((tx) => tx.findByID(args.containerID, args.ifName));
  if (!found) throw referenceError(`host-local: Failed to find address added by container ${args.containerID}`);
}

function gc(args: CmdArgs): void {
  const conf = loadHostLocalConfig(args.stdinData, args.args);
  const valid = validAttachments(args.config);
  // Without the list nothing can be told stale; an empty list means none is valid.
  if (valid === undefined) return;
  new Store(conf.dataDir, conf.name).locked((tx) => tx.gc(valid));
}

export const handlers: Handlers = { add, del, check, gc };
