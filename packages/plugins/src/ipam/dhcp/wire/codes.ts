/**
 * The BOOTP/DHCP numbers the client uses (RFC 2131, RFC 2132 and the option RFCs cited).
 */

/** Option codes. */
export const Option = {
  Pad: 0,
  SubnetMask: 1,
  Router: 3,
  DomainNameServer: 6,
  HostName: 12,
  DomainName: 15,
  StaticRoute: 33,
  RequestedIPAddress: 50,
  IPAddressLeaseTime: 51,
  OptionOverload: 52,
  MessageType: 53,
  ServerIdentifier: 54,
  ParameterRequestList: 55,
  Message: 56,
  MaximumMessageSize: 57,
  RenewalTime: 58,
  RebindingTime: 59,
  ClientIdentifier: 61,
  DomainSearch: 119,
  ClasslessStaticRoute: 121,
  End: 255,
} as const;

/** Option 53 values. */
export const MessageType = {
  Discover: 1,
  Offer: 2,
  Request: 3,
  Decline: 4,
  Ack: 5,
  Nak: 6,
  Release: 7,
  Inform: 8,
} as const;
export type MessageTypeValue = (typeof MessageType)[keyof typeof MessageType];

/** Names as logs print them (DHCPDISCOVER, ...). */
export const MESSAGE_TYPE_NAMES: Readonly<Record<number, string>> = {
  1: 'DHCPDISCOVER',
  2: 'DHCPOFFER',
  3: 'DHCPREQUEST',
  4: 'DHCPDECLINE',
  5: 'DHCPACK',
  6: 'DHCPNAK',
  7: 'DHCPRELEASE',
  8: 'DHCPINFORM',
};

export const BOOTREQUEST = 1;
export const BOOTREPLY = 2;
/** htype for Ethernet (and veth, macvlan, ...). */
export const HTYPE_ETHERNET = 1;
/** The BOOTP flags bit asking the server to broadcast its reply (RFC 2131 4.1). */
export const FLAG_BROADCAST = 0x8000;
export const MAGIC_COOKIE = Uint8Array.of(99, 130, 83, 99);
export const SERVER_PORT = 67;
export const CLIENT_PORT = 68;
