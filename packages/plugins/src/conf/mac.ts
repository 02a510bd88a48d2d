/**
 * The MAC a container interface asks for, as macvlan and tap read it: the config's `mac`,
 * replaced by CNI_ARGS `MAC`, replaced by `runtimeConfig.mac`, each checked where it comes
 * from (code 7 for the config, 4 for CNI_ARGS) with the reference's message.
 */
import type { ConfigReader } from '@tscni/skel';
import { loadArgs } from '@tscni/spec/args';
import { CniError, ErrorCode } from '@tscni/spec/errors';

const MAC_RE = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;

function checkedMac(mac: string, code: number): string {
  if (!MAC_RE.test(mac)) throw new CniError(code, `invalid args ${mac} for MAC addr: address ${mac}: invalid MAC address`);
  return mac.toLowerCase();
}

/**
 * @example readMac(reader, 'IgnoreUnknown=1;MAC=02:00:00:00:00:02') // '02:00:00:00:00:02'
 */
export function readMac(c: ConfigReader, cniArgs: string): string | undefined {
  let mac = c.string('mac', '') || undefined;
  if (mac) mac = checkedMac(mac, ErrorCode.InvalidNetworkConfig);
  if (cniArgs !== '') {
    let parsed: { MAC?: string };
    try {
      parsed = loadArgs(cniArgs, { MAC: (v: string) => v });
    } catch (e) {
      throw new CniError(ErrorCode.InvalidEnvironmentVariables, (e as Error).message, 'CNI_ARGS');
    }
    if (parsed.MAC) mac = checkedMac(parsed.MAC, ErrorCode.InvalidEnvironmentVariables);
  }
  const rt = c.string('runtimeConfig.mac', '');
  if (rt) mac = checkedMac(rt, ErrorCode.InvalidNetworkConfig);
  return mac;
}
