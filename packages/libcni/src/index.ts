/**
 * @tscni/libcni: the runtime library of CNI — loading network configurations, running
 * their plugins and keeping the result cache, as the reference's libcni.
 */
export * from './api.js';
export * from './cache.js';
export * from './conf-files.js';
export * from './errors.js';
export * from './request-config.js';
export * from './runtime-conf.js';
export {
  confFromBytes,
  confListFromConf,
  injectConf,
  networkConfFromBytes,
  networkConfFromBytes as confListFromBytes,
  pluginConfFromBytes as networkPluginConfFromBytes,
  type NetworkConfigList,
  type PluginConf,
  type PluginConfig,
} from '@tscni/spec/config';
export type { Result } from '@tscni/spec/result-types';
export type { Exec, StderrSink } from '@tscni/spec/invoke';
export type { PluginInfo } from '@tscni/spec/version';
