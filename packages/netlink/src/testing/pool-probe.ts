/**
 * Run as its own process by netns.test: makes the first async request of the process inside
 * a namespace window, then reports every thread's namespace (printed as JSON).
 */
import { readdirSync, readlinkSync, stat } from 'node:fs';
import { currentNetNSPath, withNetNS } from '../netns.js';

const target = process.argv[2]!;
const host = readlinkSync('/proc/self/ns/net');
let container = '';
withNetNS(target, () => {
  container = readlinkSync(currentNetNSPath());
  stat('/', () => {});
});
setTimeout(() => {
  const threads = readdirSync('/proc/self/task').map((tid) => readlinkSync(`/proc/self/task/${tid}/ns/net`));
  process.stdout.write(JSON.stringify({ host, container, threads }));
}, 50);
