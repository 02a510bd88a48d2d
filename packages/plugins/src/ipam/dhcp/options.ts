/**
 * DHCP option names and codes as the reference's `provide` and `request` entries name them:
 * a name from its short table or a decimal code 0-255.
 */

/** The names the reference accepts, plus the ones tscni reads from leases. */
export const OPTION_NAMES: Readonly<Record<string, number>> = {
  'dhcp-client-identifier': 61,
  'subnet-mask': 1,
  routers: 3,
  'host-name': 12,
  'user-class': 77,
  'vendor-class-identifier': 60,
  'domain-name-servers': 6,
  'domain-name': 15,
  'domain-search': 119,
  'classless-static-route': 121,
};

/** Option codes every client sends with the reference's defaults (router, subnet mask), then DNS. */
export const DEFAULT_REQUEST: readonly number[] = [3, 1, 6, 15];

/** The client identifier option: the daemon sends it unless `provide` replaces it. */
export const CLIENT_IDENTIFIER = 61;

/**
 * The code an option name stands for; the error is the reference's (Go's strconv wording).
 *
 * @example parseOptionName('host-name') // 12
 * @example parseOptionName('121') // 121
 */
export function parseOptionName(option: string): number {
  const named = Object.prototype.hasOwnProperty.call(OPTION_NAMES, option) ? OPTION_NAMES[option] : undefined;
  if (named !== undefined) return named;
  const reason = /^\+?[0-9]+$/.test(option)
    ? Number(option) <= 255
      ? undefined
      : 'value out of range'
    : 'invalid syntax';
  if (reason !== undefined) throw new Error(`Can not parse option: strconv.ParseUint: parsing ${JSON.stringify(option)}: ${reason}`);
  return Number(option);
}
