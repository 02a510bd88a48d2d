/**
 * The plugins' core behind every plugin name: run by the launcher `.tscni` (which the native
 * shim the names link to execs as `.tscni <name>`), inside tscni-server, or as the single
 * executable of scripts/build-sea.mjs; it runs the plugin it was invoked as.
 * `node main.js <name>` and `<executable> <name>` work too; `tscni-server` runs the server.
 */
import { basename } from 'node:path';
import { pluginMain } from '@tscni/skel/plugin-main';
import type { Handlers } from '@tscni/skel';
import { PLUGINS, pluginNames, type PluginEntry } from './registry.js';
import { invocation } from './version-fast-path.js';
import { isWorkerTask, runWorkerTask } from './worker-task.js';

function lazyHandlers(entry: PluginEntry): Handlers {
  const call =
    (key: keyof Handlers) =>
    async (...a: Parameters<NonNullable<Handlers['add']>>) => {
      const handler = (await entry.load()).handlers[key];
      return handler ? handler(...a) : undefined;
    };
  return { add: call('add') as Handlers['add'], del: call('del'), check: call('check'), gc: call('gc'), status: call('status') };
}

/** The warm process that runs plugins for the shim (server/command.ts); not a CNI plugin. */
const SERVER = 'tscni-server';

const isPlugin = (n: string): boolean => Object.prototype.hasOwnProperty.call(PLUGINS, n);
const { name, rest: argv } = invocation(process.argv, process.execPath, (n) => isPlugin(n) || n === SERVER, basename);
const entry = name !== undefined && isPlugin(name) ? PLUGINS[name] : undefined;
const subcommand = argv[0] !== undefined && entry?.subcommands && Object.prototype.hasOwnProperty.call(entry.subcommands, argv[0]) ? entry.subcommands[argv[0]] : undefined;
if (isWorkerTask()) {
  // A worker this executable started for itself (worker-task.ts), e.g. a DHCP client.
  runWorkerTask();
} else if (name === SERVER) {
  if (process.env['CNI_COMMAND'] !== undefined) {
    // A network configuration with `"type": "tscni-server"`: answer as a plugin would.
    process.stdout.write(`${JSON.stringify({ code: 999, msg: `${SERVER} is tscni's plugin server, not a CNI plugin` }, null, 4)}\n`);
    process.exitCode = 1;
  } else {
    void import('./server/command.js')
      .then((m) => m.run(argv))
      .then(
        (code) => process.exit(code),
        (e: unknown) => {
          process.stderr.write(`${SERVER}: ${e instanceof Error ? e.message : String(e)}\n`);
          process.exit(1);
        },
      );
  }
} else if (!entry) {
  process.stderr.write(`tscni: no plugin named "${name ?? basename(process.argv[1] ?? '')}"; install this file under one of: ${pluginNames().join(', ')}\n`);
  process.exitCode = 1;
} else if (subcommand) {
  void subcommand()
    .then((m) => m.run(argv.slice(1)))
    .then(
      (code) => {
        process.exitCode = code;
      },
      (e: unknown) => {
        process.stderr.write(`${name}: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exitCode = 1;
      },
    );
} else {
  void pluginMain(lazyHandlers(entry), entry.info);
}
