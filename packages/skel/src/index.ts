/**
 * @tscni/skel: the SDK for writing CNI plugins (the counterpart of the reference's pkg/skel).
 *
 * Everything exported here is cheap to import, so a plugin's VERSION answer stays fast:
 * the parts that need more (result printing, prevResult parsing, running delegates) load
 * when first used. `createCmdArgs` and `prevResultOf` are
 * available by subpath (`@tscni/skel/cmd-args`, `/prev-result`).
 */
export { pluginMain } from './plugin-main.js';
export { runPlugin } from './dispatcher.js';
export { invokeHandler, type HandlerOutcome } from './invoke-handler.js';
export { asCniError } from './handler-error.js';
export { readCmdEnv, type CmdEnv } from './cmd-env.js';
export { checkNetNS, netnsCheckOverridden, OWN_NETNS_PATH } from './netns-check.js';
export { parseConfig, ConfigReader, ConfigError, type NetConf } from './config.js';
export { delegateAdd, delegateCheck, delegateDel, delegateGC, delegateStatus, type DelegateOptions } from './delegate.js';
export type { CmdArgs, CmdArgsInit, Command, EnvSource, Handler, Handlers, PluginIO, PluginInfo, StdinSource, TextSink } from './types.js';
export { CniError, ErrorCode } from '@tscni/spec/errors';
