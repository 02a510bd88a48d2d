/**
 * `dhcp daemon` as the plugins executable runs it: the daemon with the real DHCP client.
 */
import { DhcpClient } from '../client/index.js';
import type { LeaseClientFactory } from './client-port.js';
import { runDaemon } from './main.js';

const factory: LeaseClientFactory = {
  acquire: (opts) => DhcpClient.acquire(opts),
  resume: (opts, lease) => DhcpClient.resume(opts, lease),
};

/** @example process.exitCode = await run(['-socketpath', '/run/cni/dhcp.sock']) */
export function run(argv: readonly string[]): Promise<number> {
  return runDaemon(argv, factory);
}
