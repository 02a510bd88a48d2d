/**
 * @tscni/cnitool: the CNI command line tool, usable as a library for its parsing and running.
 */
export * from './cli.js';
export * from './run.js';
