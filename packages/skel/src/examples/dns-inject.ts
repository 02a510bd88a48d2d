#!/usr/bin/env node
// dns-inject: a chained plugin that adds a nameserver to the result of the plugin before it.
import { CniError, ConfigError, parseConfig, pluginMain, type CmdArgs } from '../index.js';

function load(args: CmdArgs) {
  const conf = parseConfig(args.stdinData, (c) => ({ nameserver: c.string('nameserver') }));
  const prev = args.prevResult;
  if (!prev) throw new ConfigError('prevResult', 'is required: chain this plugin after one that assigns addresses');
  return { nameserver: conf.nameserver, prev, servers: prev.dns?.nameservers ?? [] };
}

pluginMain(
  {
    add(args) {
      const { nameserver, prev, servers } = load(args);
      if (servers.includes(nameserver)) return prev;
      return { ...prev, dns: { ...prev.dns, nameservers: [...servers, nameserver] } };
    },
    check(args) {
      const { nameserver, servers } = load(args);
      if (!servers.includes(nameserver)) throw new CniError(100, 'nameserver missing from the result', nameserver);
    },
    // Nothing was created outside the result, so there is nothing to undo or collect.
    del() {},
    gc() {},
    status() {},
  },
  { versions: ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'], about: 'dns-inject: adds a nameserver to the previous result' },
);
