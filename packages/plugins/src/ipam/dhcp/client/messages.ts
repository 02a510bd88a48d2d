/**
 * The requests the client sends (RFC 2131 table 5): what each carries in ciaddr, the flags,
 * and options 50/54, plus the options every request has (53, 61, the `provide` list, 55).
 */
import { FLAG_BROADCAST, MessageType, Option, type MessageTypeValue } from '../wire/codes.js';
import { ipv4Bytes } from '../wire/ipv4.js';
import { bootRequest, encodePacket, type DhcpOption } from '../wire/packet.js';

/** What stays the same in every request of one client. */
export interface Identity {
  chaddr: Uint8Array;
  clientID: Uint8Array;
  provide: readonly DhcpOption[];
  request: readonly number[];
  /** Set the BOOTP broadcast flag while the client has no address. */
  broadcast: boolean;
}

export type Request =
  | { kind: 'discover'; requestedIP?: string }
  | { kind: 'select'; offered: string; serverID: string }
  | { kind: 'renew'; address: string }
  | { kind: 'rebind'; address: string }
  | { kind: 'release'; address: string; serverID: string };

const TYPES: Record<Request['kind'], MessageTypeValue> = {
  discover: MessageType.Discover,
  select: MessageType.Request,
  renew: MessageType.Request,
  rebind: MessageType.Request,
  release: MessageType.Release,
};

/**
 * The bytes of request `r` with transaction id `xid`, `secs` seconds into the exchange.
 *
 * @example encodeRequest(identity, { kind: 'discover' }, 0x1234, 0)
 */
export function encodeRequest(id: Identity, r: Request, xid: number, secs: number): Uint8Array {
  const options: DhcpOption[] = [{ code: Option.MessageType, value: Uint8Array.of(TYPES[r.kind]) }];
  if (r.kind === 'discover' && r.requestedIP !== undefined) options.push({ code: Option.RequestedIPAddress, value: ipv4Bytes(r.requestedIP) });
  if (r.kind === 'select') options.push({ code: Option.RequestedIPAddress, value: ipv4Bytes(r.offered) });
  if (r.kind === 'select' || r.kind === 'release') options.push({ code: Option.ServerIdentifier, value: ipv4Bytes(r.serverID) });
  options.push({ code: Option.ClientIdentifier, value: id.clientID });
  if (r.kind !== 'release') {
    for (const o of id.provide) if (o.code !== Option.ClientIdentifier) options.push(o);
    if (id.request.length > 0) options.push({ code: Option.ParameterRequestList, value: Uint8Array.from(id.request) });
  }
  const bound = r.kind === 'renew' || r.kind === 'rebind' || r.kind === 'release';
  return encodePacket(
    bootRequest({
      xid,
      chaddr: id.chaddr,
      secs: Math.min(0xffff, Math.max(0, Math.floor(secs))),
      // RFC 2131 4.1: a client that cannot receive unicast before it has an address asks for broadcast.
      flags: !bound && id.broadcast ? FLAG_BROADCAST : 0,
      ciaddr: bound ? r.address : '0.0.0.0',
      options,
    }),
  );
}
