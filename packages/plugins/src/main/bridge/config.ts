/**
 * The bridge plugin's network config (reference plugins/main/bridge NetConf): its keys with
 * their defaults, the VLAN checks, and the container MAC from CNI_ARGS, `args.cni.mac` and
 * `runtimeConfig.mac` (later ones win).
 */
import { ConfigError, ConfigReader, parseConfig, type NetConf } from '@tscni/skel';
import type { JsonObject } from '@tscni/spec/gojson';
import { loadArgs } from '@tscni/spec/args';
import { CniError, ErrorCode } from '@tscni/spec/errors';
import type { DNS } from '@tscni/spec/result-types';
import { readConfigDNS } from '../../conf/dns.js';
import type { NetfilterBackend } from '../../netfilter/probe.js';

export interface BridgeConf extends NetConf {
  /** The bridge's name (`bridge`, default `cni0`). */
  bridge: string;
  isGateway: boolean;
  isDefaultGateway: boolean;
  forceAddress: boolean;
  ipMasq: boolean;
  /** Undefined: the reference's automatic choice. */
  ipMasqBackend?: NetfilterBackend;
  /** 0: the kernel's default. */
  mtu: number;
  hairpinMode: boolean;
  promiscMode: boolean;
  /** 0: no VLAN. */
  vlan: number;
  /** Whether `vlanTrunk` was given at all (even empty, it turns vlan_filtering on, as in the reference). */
  vlanTrunkGiven: boolean;
  /** The trunk's VLAN IDs, sorted and without duplicates. */
  trunkVlans: number[];
  preserveDefaultVlan: boolean;
  macspoofchk: boolean;
  enabledad: boolean;
  disableContainerInterface: boolean;
  portIsolation: boolean;
  /** The container interface's MAC, when one was asked for. */
  mac?: string;
  /** The IPAM plugin's type; empty for a layer-2 network. */
  ipamType: string;
  /** The config's `dns`, read as the reference reads it. */
  dns: DNS;
  /** Whether `dns` sets anything; then it replaces the IPAM plugin's DNS in the result. */
  dnsSet: boolean;
}

/** Reference messages for bad config; the code is 7 (invalid network config). */
function invalid(message: string): CniError {
  return new CniError(ErrorCode.InvalidNetworkConfig, message);
}

/** An optional integer of one trunk entry; errors name the entry (`vlanTrunk.0.id`). */
function trunkInt(item: JsonObject, index: number, key: string): number | undefined {
  const path = `vlanTrunk.${index}.${key}`;
  let v: number | undefined;
  try {
    v = new ConfigReader(item).optionalNumber(key);
  } catch (e) {
    throw e instanceof ConfigError ? new ConfigError(path, e.reason) : e;
  }
  if (v !== undefined && !Number.isInteger(v)) throw new ConfigError(path, `expected an integer, got ${v}`);
  return v;
}

/**
 * The trunk's VLAN IDs, as the reference's collectVlanTrunk reads `vlanTrunk` (ranges of
 * `minID`..`maxID` and single `id`s, each 1-4094).
 *
 * @example collectVlanTrunk(new ConfigReader({ vlanTrunk: [{ minID: 200, maxID: 202 }, { id: 101 }] })) // [101, 200, 201, 202]
 */
export function collectVlanTrunk(c: ConfigReader): number[] {
  const raw = c.get('vlanTrunk');
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) c.fail('vlanTrunk', 'expected an array of {"minID", "maxID", "id"}');
  const vids = new Set<number>();
  raw.forEach((item, i) => {
    // A null entry makes the reference panic; here it is a config error like any other.
    if (item === null || typeof item !== 'object' || Array.isArray(item)) c.fail(`vlanTrunk.${i}`, 'expected an object');
    const minID = trunkInt(item, i, 'minID');
    const maxID = trunkInt(item, i, 'maxID');
    const id = trunkInt(item, i, 'id');
    if (minID !== undefined && maxID !== undefined) {
      if (minID <= 0 || minID > 4094) throw invalid('incorrect trunk minID parameter');
      if (maxID <= 0 || maxID > 4094) throw invalid('incorrect trunk maxID parameter');
      if (maxID < minID) throw invalid('minID is greater than maxID in trunk parameter');
      for (let v = minID; v <= maxID; v++) vids.add(v);
    } else if (minID === undefined && maxID !== undefined) {
      throw invalid('minID and maxID should be configured simultaneously, minID is missing');
    } else if (minID !== undefined && maxID === undefined) {
      throw invalid('minID and maxID should be configured simultaneously, maxID is missing');
    }
    if (id !== undefined) {
      if (id <= 0 || id > 4094) throw invalid('incorrect trunk id parameter');
      vids.add(id);
    }
  });
  return [...vids].sort((a, b) => a - b);
}

const MAC_RE = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;

function checkedMac(mac: string, where: string): string {
  // The reference hands the text to net.ParseMAC only after the bridge and veth work began;
  // checking here keeps a bad MAC from leaving anything behind.
  if (!MAC_RE.test(mac)) throw invalid(`invalid MAC address ${JSON.stringify(mac)} in ${where}`);
  return mac.toLowerCase();
}

/**
 * The container MAC: CNI_ARGS `MAC`, then `args.cni.mac`, then `runtimeConfig.mac`, the last
 * one given winning.
 */
function containerMac(c: ConfigReader, cniArgs: string): string | undefined {
  let mac: string | undefined;
  if (cniArgs !== '') {
    let parsed: { MAC?: string };
    try {
      parsed = loadArgs(cniArgs, { MAC: (v: string) => v });
    } catch (e) {
      throw new CniError(ErrorCode.InvalidEnvironmentVariables, (e as Error).message);
    }
    if (parsed.MAC) mac = checkedMac(parsed.MAC, 'CNI_ARGS MAC');
  }
  const argsMac = c.optionalString('args.cni.mac');
  if (argsMac) mac = checkedMac(argsMac, 'args.cni.mac');
  const rtMac = c.optionalString('runtimeConfig.mac');
  if (rtMac) mac = checkedMac(rtMac, 'runtimeConfig.mac');
  return mac;
}

function bridgeName(c: ConfigReader): string {
  const name = c.string('bridge', 'cni0');
  // Checked here so that the error names the field instead of a failed link request.
  if (name === '' || Buffer.byteLength(name) > 15 || /[/:\s]/.test(name) || name === '.' || name === '..') {
    c.fail('bridge', `${JSON.stringify(name)} is not a valid interface name (1-15 bytes, no "/", ":" or whitespace)`);
  }
  return name;
}

/**
 * Reads and checks the config; `cniArgs` is CNI_ARGS.
 *
 * @example const conf = loadBridgeConf(args.stdinData, args.args); conf.bridge // 'cni0'
 */
export function loadBridgeConf(stdinData: Uint8Array | string, cniArgs: string): BridgeConf {
  return parseConfig(stdinData, (c) => {
    const vlan = c.integer('vlan', {}, 0);
    if (vlan < 0 || vlan > 4094) throw invalid(`invalid VLAN ID ${vlan} (must be between 0 and 4094)`);
    const trunkVlans = collectVlanTrunk(c);
    const backend = c.optionalString('ipMasqBackend');
    if (backend !== undefined && backend !== 'iptables' && backend !== 'nftables') throw invalid(`unknown ipmasq backend ${JSON.stringify(backend)}`);
    const isDefaultGateway = c.boolean('isDefaultGateway', false);
    const mtu = c.integer('mtu', {}, 0);
    if (mtu < 0) c.fail('mtu', `must not be negative, got ${mtu}`);
    return {
      bridge: bridgeName(c),
      // isDefaultGateway needs the gateway on the bridge.
      isGateway: c.boolean('isGateway', false) || isDefaultGateway,
      isDefaultGateway,
      forceAddress: c.boolean('forceAddress', false),
      ipMasq: c.boolean('ipMasq', false),
      ...(backend !== undefined ? { ipMasqBackend: backend } : {}),
      mtu,
      hairpinMode: c.boolean('hairpinMode', false),
      promiscMode: c.boolean('promiscMode', false),
      vlan,
      vlanTrunkGiven: c.has('vlanTrunk'),
      trunkVlans,
      preserveDefaultVlan: c.boolean('preserveDefaultVlan', false),
      macspoofchk: c.boolean('macspoofchk', false),
      enabledad: c.boolean('enabledad', false),
      disableContainerInterface: c.boolean('disableContainerInterface', false),
      portIsolation: c.boolean('portIsolation', false),
      ...((m) => (m !== undefined ? { mac: m } : {}))(containerMac(c, cniArgs)),
      ipamType: c.optionalString('ipam.type') ?? '',
      ...((d) => ({ dns: d.dns, dnsSet: d.set }))(readConfigDNS(c)),
    };
  });
}

/**
 * The checks ADD makes before touching anything: IPAM and disableContainerInterface exclude
 * each other, as do hairpin and promiscuous mode.
 *
 * @example validateForAdd(conf)
 */
export function validateForAdd(conf: BridgeConf): void {
  if (conf.ipamType !== '' && conf.disableContainerInterface) throw invalid('cannot use IPAM when DisableContainerInterface flag is set');
  if (conf.hairpinMode && conf.promiscMode) throw invalid('cannot set hairpin mode and promiscuous mode at the same time');
}
