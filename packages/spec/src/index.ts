/**
 * @tscni/spec: the CNI specification's types, versions, errors, validation and configuration.
 */
export * from './errors.js';
export * from './gojson.js';
export * from './version.js';
export * from './ip.js';
export * from './result-types.js';
export * from './result-decode.js';
export * from './result-convert.js';
export * from './result-print.js';
export * from './prev-result.js';
export * from './validate.js';
export * from './args.js';
export * from './config.js';
