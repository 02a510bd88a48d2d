/**
 * Worker threads started from the plugins executable itself. The plugins ship as one bundle
 * with no other file next to it, so a worker runs that same file (or `lib/main.js` when run
 * unbundled, as in unit tests) and main.ts hands it to runWorkerTask instead of the CNI
 * protocol. A task is a lazily loaded module, like a plugin.
 */
import { Worker, workerData, type WorkerOptions } from 'node:worker_threads';

export interface WorkerTaskModule {
  /** Runs in the worker; `data` is what startWorkerTask was given. */
  runTask(data: unknown): void | Promise<void>;
}

/** The tasks a worker can run, by name. */
export const WORKER_TASKS: Readonly<Record<string, () => Promise<WorkerTaskModule>>> = {
  'dhcp-client': () => import('./ipam/dhcp/client/worker.js'),
};

interface TaskData {
  tscniWorkerTask: string;
  data: unknown;
}

/** The executable to start: the bundle (CommonJS, no import.meta) or lib/main.js beside this module. */
function entryFile(): string | URL {
  const here = import.meta.url as string | undefined;
  return here ? new URL('./main.js', here) : __filename;
}

/**
 * Starts `task` in a new worker thread with `data` (structured-cloned).
 *
 * @example const w = startWorkerTask('dhcp-client', { netnsPath, ifName }); w.on('message', ...)
 */
export function startWorkerTask(task: keyof typeof WORKER_TASKS & string, data: unknown, options: Omit<WorkerOptions, 'workerData'> = {}): Worker {
  const payload: TaskData = { tscniWorkerTask: task, data };
  return new Worker(entryFile(), { ...options, workerData: payload });
}

/**
 * In a worker started by startWorkerTask: loads and runs its task. A worker that is not one
 * (or names an unknown task) fails, which its parent sees as an 'error' event.
 *
 * @example if (!isMainThread) runWorkerTask();
 */
export function runWorkerTask(): void {
  const d = workerData as Partial<TaskData> | undefined;
  const name = d?.tscniWorkerTask;
  const load = name !== undefined && Object.prototype.hasOwnProperty.call(WORKER_TASKS, name) ? WORKER_TASKS[name] : undefined;
  if (!load) throw new Error(`tscni: this worker names no known task (${String(name)})`);
  void load().then((m) => m.runTask(d!.data));
}
