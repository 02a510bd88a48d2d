export * from './netfilter/index.js';
