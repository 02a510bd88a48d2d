/**
 * Reading the CNI_* variables the way the reference's skel does: which ones each command
 * requires, in what order missing ones are reported, and which are validated.
 */
import { CniError, ErrorCode } from '@tscni/spec/errors';
import type { EnvSource } from './types.js';

/** The CNI_* values a plugin is run with; empty strings for unset variables. */
export interface CmdEnv {
  command: string;
  containerID: string;
  netns: string;
  ifName: string;
  args: string;
  path: string;
  netnsOverride: string;
}

type Validator = 'containerID' | 'ifName';

interface VarSpec {
  name: string;
  key: keyof CmdEnv;
  requiredFor: readonly string[];
  validator?: Validator;
}

// The reference's table, in its order: missing variables are reported in this order.
const VARS: readonly VarSpec[] = [
  { name: 'CNI_COMMAND', key: 'command', requiredFor: ['ADD', 'CHECK', 'DEL', 'GC', 'STATUS'] },
  { name: 'CNI_CONTAINERID', key: 'containerID', requiredFor: ['ADD', 'CHECK', 'DEL'], validator: 'containerID' },
  { name: 'CNI_NETNS', key: 'netns', requiredFor: ['ADD', 'CHECK'] },
  { name: 'CNI_IFNAME', key: 'ifName', requiredFor: ['ADD', 'CHECK', 'DEL'], validator: 'ifName' },
  { name: 'CNI_ARGS', key: 'args', requiredFor: [] },
  { name: 'CNI_PATH', key: 'path', requiredFor: ['ADD', 'CHECK', 'DEL', 'GC', 'STATUS'] },
  { name: 'CNI_NETNS_OVERRIDE', key: 'netnsOverride', requiredFor: [] },
];

/**
 * The CNI_* values, or the error the reference's skel gives: the first validation failure
 * of a required, non-empty variable at once, else every missing required variable together.
 *
 * @example
 *   await readCmdEnv({ CNI_COMMAND: 'ADD' })
 *   // CniError 4 "required env variables [CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME,CNI_PATH] missing"
 */
export async function readCmdEnv(env: EnvSource): Promise<CmdEnv | CniError> {
  const out: CmdEnv = { command: '', containerID: '', netns: '', ifName: '', args: '', path: '', netnsOverride: '' };
  const missing: string[] = [];
  for (const v of VARS) {
    const value = env[v.name] ?? '';
    out[v.key] = value;
    const required = v.requiredFor.includes(out.command);
    if (value === '') {
      if (required || v.name === 'CNI_COMMAND') missing.push(v.name);
    } else if (required && v.validator) {
      // Loaded only here: VERSION never validates anything.
      const validate = await import('@tscni/spec/validate');
      const err = v.validator === 'containerID' ? validate.validateContainerID(value) : validate.validateInterfaceName(value);
      if (err) return err;
    }
  }
  if (missing.length > 0) {
    return new CniError(ErrorCode.InvalidEnvironmentVariables, `required env variables [${missing.join(',')}] missing`);
  }
  return out;
}
