/**
 * Errors of rtnetlink requests. A kernel refusal is an RtnlError: a SysError whose `op` is the
 * request's message type (RTM_NEWLINK) and whose `extAck` is the kernel's own explanation when
 * it sent one, so callers test `code` and users read why.
 */
import { SysError } from '../sys-error.js';
import { messageTypeName } from './constants.js';

/**
 * The kernel refused a request.
 *
 * @example
 *   try { links.create(...) } catch (e) { if (e instanceof RtnlError && e.code === 'EEXIST') ... }
 */
export class RtnlError extends SysError {
  /** The message type of the refused request, for code that dispatches on it. */
  readonly messageType: number;
  /** The kernel's extended-ack text (NLMSGERR_ATTR_MSG), e.g. "Unknown device type". */
  readonly extAck: string | undefined;
  /** Offset of the offending attribute in the request (NLMSGERR_ATTR_OFFS). */
  readonly extAckOffset: number | undefined;

  constructor(messageType: number, errno: number, extAck?: string, extAckOffset?: number, detail?: string) {
    const why = [detail, extAck].filter((s) => s !== undefined && s !== '').join(': ');
    super(messageTypeName(messageType), errno, why === '' ? undefined : why);
    this.name = 'RtnlError';
    this.messageType = messageType;
    this.extAck = extAck;
    this.extAckOffset = extAckOffset;
  }
}

/**
 * A link looked up by name or index does not exist (the kernel's ENODEV).
 *
 * @example try { getLink(rt, 'eth9') } catch (e) { if (isNotFound(e)) ... }
 */
export class LinkNotFoundError extends RtnlError {
  /** The name or index asked for. */
  readonly link: string | number;

  constructor(messageType: number, link: string | number, errno: number, extAck?: string) {
    super(messageType, errno, extAck, undefined, typeof link === 'string' ? `link ${JSON.stringify(link)} not found` : `link index ${link} not found`);
    this.name = 'LinkNotFoundError';
    this.link = link;
  }
}

/**
 * A reply that breaks the protocol (wrong sequence, truncated, no ack).
 *
 * @example if (e instanceof RtnlProtocolError) rt.close(); // the stream is out of step
 */
export class RtnlProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RtnlProtocolError';
  }
}

/**
 * Whether `e` says the object does not exist: a missing link (ENODEV), or a missing address,
 * route or neighbour (EADDRNOTAVAIL, ESRCH, ENOENT from the kernel).
 *
 * @example if (isNotFound(e)) return; // already deleted
 */
export function isNotFound(e: unknown): boolean {
  return e instanceof RtnlError && (e.code === 'ENODEV' || e.code === 'EADDRNOTAVAIL' || e.code === 'ESRCH' || e.code === 'ENOENT');
}

/**
 * Whether `e` is the kernel's EEXIST (a link name, address or route already present).
 *
 * @example try { addAddr(rt, ...) } catch (e) { if (!isExists(e)) throw e; }
 */
export function isExists(e: unknown): boolean {
  return e instanceof RtnlError && e.code === 'EEXIST';
}
