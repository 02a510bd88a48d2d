/**
 * Building the CmdArgs a handler receives, with its derived values computed on first use
 * so a handler pays only for what it reads.
 */
import { CniError, ErrorCode } from '@tscni/spec/errors';
import { parseJsonObject, type JsonObject } from '@tscni/spec/gojson';
import type { Result } from '@tscni/spec/result-types';
import { decodeVersion } from '@tscni/spec/version';
import { prevResultOf } from './prev-result.js';
import type { CmdArgs, CmdArgsInit, Command } from './types.js';

const encoder = new TextEncoder();

/**
 * CmdArgs for `command` from its raw parts; missing variables are empty strings and `env`
 * defaults to process.env.
 *
 * @example
 *   const args = createCmdArgs('ADD', { containerID: 'c1', netns: '/run/netns/x', ifName: 'eth0', stdinData: conf });
 *   args.cniVersion // the config's version
 */
export function createCmdArgs(command: Command, init: CmdArgsInit): CmdArgs {
  const stdinData = typeof init.stdinData === 'string' ? encoder.encode(init.stdinData) : init.stdinData;
  let config: JsonObject | undefined;
  let cniVersion: string | undefined;
  let prev: { value: Result | undefined } | undefined;
  const readConfig = (): JsonObject => {
    if (config) return config;
    try {
      config = parseJsonObject(stdinData);
    } catch (e) {
      throw new CniError(ErrorCode.DecodingFailure, `error unmarshall network config: ${(e as Error).message}`);
    }
    return config;
  };
  return {
    command,
    containerID: init.containerID ?? '',
    netns: init.netns ?? '',
    ifName: init.ifName ?? '',
    args: init.args ?? '',
    path: init.path ?? '',
    netnsOverride: init.netnsOverride ?? '',
    stdinData,
    env: init.env ?? process.env,
    get config() {
      return readConfig();
    },
    get cniVersion() {
      if (cniVersion === undefined) {
        try {
          cniVersion = decodeVersion(stdinData);
        } catch (e) {
          throw new CniError(ErrorCode.DecodingFailure, (e as Error).message);
        }
      }
      return cniVersion;
    },
    get prevResult() {
      prev ??= { value: prevResultOf(readConfig()) };
      return prev.value;
    },
  };
}
