/**
 * bridge: attaches a container to a Linux bridge on the host through a veth pair, as the
 * reference plugin (plugins/main/bridge) does: same config keys, result, kernel state and
 * messages. Where it differs on purpose (DEL removes masquerade rules even when the container
 * namespace is gone, CHECK of a layer-2 network works, GC is implemented), the tests say so.
 */
import type { Handlers } from '@tscni/skel';
import { add } from './add.js';
import { check } from './check.js';
import { del } from './del.js';
import { gc, status } from './gc-status.js';

export const handlers: Handlers = { add, del, check, gc, status };
