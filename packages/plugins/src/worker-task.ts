/**
 * Worker threads started from the plugins executable itself. The plugins ship as one bundle
 * with no other file next to it, so a worker runs that same file (or `lib/main.js` when run
 * unbundled, as in unit tests) and main.ts hands it to runWorkerTask instead of the CNI
 * protocol. A task is a lazily loaded module, like a plugin.
 *
 * In the single executable (scripts/build-sea.mjs) there is no script file at all: the bundle
 * is also stored as an asset of the executable, and the worker evaluates its text.
 */
import { getAsset, isSea } from 'node:sea';
import { isMainThread, Worker, workerData, type WorkerOptions } from 'node:worker_threads';
import { SEA_BUNDLE_ASSET } from './sea-assets.js';

export interface WorkerTaskModule {
  /** Runs in the worker; `data` is what startWorkerTask was given. */
  runTask(data: unknown): void | Promise<void>;
}

/** The tasks a worker can run, by name. */
export const WORKER_TASKS: Readonly<Record<string, () => Promise<WorkerTaskModule>>> = {
  'dhcp-client': () => import('./ipam/dhcp/client/worker.js'),
};

/**
 * The argument a task's worker is started with, so that the executable can tell it is one
 * without loading worker_threads (about 4 ms of every plugin process's start) to ask.
 */
export const WORKER_MARK = '--tscni-worker-task';

/** Whether this thread is a worker started by startWorkerTask. */
export function isWorkerTask(): boolean {
  return process.argv.includes(WORKER_MARK) && !isMainThread;
}

interface TaskData {
  tscniWorkerTask: string;
  data: unknown;
}

/** What a worker runs: the bundle's text in a SEA, else the bundle (CommonJS, no import.meta) or lib/main.js beside this module. */
function workerScript(): { script: string | URL; eval: boolean } {
  if (isSea()) return { script: getAsset(SEA_BUNDLE_ASSET, 'utf8'), eval: true };
  const here = import.meta.url as string | undefined;
  return { script: here ? new URL('./main.js', here) : __filename, eval: false };
}

/**
 * Starts `task` in a new worker thread with `data` (structured-cloned).
 *
 * @example const w = startWorkerTask('dhcp-client', { netnsPath, ifName }); w.on('message', ...)
 */
export function startWorkerTask(task: keyof typeof WORKER_TASKS & string, data: unknown, options: Omit<WorkerOptions, 'workerData'> = {}): Worker {
  const payload: TaskData = { tscniWorkerTask: task, data };
  const { script, eval: isText } = workerScript();
  return new Worker(script, { ...options, argv: [...(options.argv ?? []), WORKER_MARK], eval: isText, workerData: payload });
}

/**
 * In a worker started by startWorkerTask: loads and runs its task. A worker that is not one
 * (or names an unknown task) fails, which its parent sees as an 'error' event.
 *
 * @example if (isWorkerTask()) runWorkerTask();
 */
export function runWorkerTask(): void {
  const d = workerData as Partial<TaskData> | undefined;
  const name = d?.tscniWorkerTask;
  const load = name !== undefined && Object.prototype.hasOwnProperty.call(WORKER_TASKS, name) ? WORKER_TASKS[name] : undefined;
  if (!load) throw new Error(`tscni: this worker names no known task (${String(name)})`);
  void load().then((m) => m.runTask(d!.data));
}
