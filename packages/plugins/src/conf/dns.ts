/**
 * A plugin config's `dns` section as the reference's types.DNS reads it (keys without regard
 * to case), and whether any of it was given: bridge and ptp let a config's `dns` replace the
 * IPAM plugin's only then, and a list given empty (`"nameservers": []`) counts as given.
 */
import type { ConfigReader } from '@tscni/skel';
import type { DNS } from '@tscni/spec/result-types';

export interface ConfigDNS {
  dns: DNS;
  /** Whether the config set any field (the reference's dnsConfSet). */
  set: boolean;
}

/**
 * @example const { dns, set } = readConfigDNS(reader); if (set) result.dns = dns;
 */
export function readConfigDNS(c: ConfigReader): ConfigDNS {
  const dns: DNS = {};
  let set = false;
  for (const key of ['nameservers', 'search', 'options'] as const) {
    if (!c.has(`dns.${key}`)) continue;
    dns[key] = c.stringArray(`dns.${key}`);
    set = true;
  }
  const domain = c.optionalString('dns.domain');
  if (domain !== undefined && domain !== '') {
    dns.domain = domain;
    set = true;
  }
  return { dns, set };
}
