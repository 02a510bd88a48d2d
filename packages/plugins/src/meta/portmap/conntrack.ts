/**
 * After the rules are in place, UDP conntrack entries towards a mapped host port are dropped:
 * a flow tracked before the mapping existed would otherwise keep its old (non-DNAT) path
 * for as long as packets keep coming. Failures are only reported, as in the reference.
 */
import { deleteConntrackEntriesForDstPort, PROTOCOL_UDP } from '../../net/conntrack.js';
import type { PortMapping } from './config.js';

/**
 * Deletes the family's UDP entries of every UDP mapping's host port; the reference's error
 * text of the first failure, or undefined.
 *
 * @example const failure = deleteStaleUdpConntrack(conf.portMappings, 4)
 */
export function deleteStaleUdpConntrack(mappings: readonly PortMapping[], family: 4 | 6): string | undefined {
  for (const pm of mappings) {
    if (pm.protocol.toLowerCase() !== 'udp') continue;
    try {
      deleteConntrackEntriesForDstPort(pm.hostPort, PROTOCOL_UDP, family);
    } catch (e) {
      return `error deleting connection tracking state for protocol: ${PROTOCOL_UDP} Port: ${pm.hostPort}, error: ${(e as Error).message}`;
    }
  }
  return undefined;
}
