// The package's programmatic entry point (package.json "main"): embed amigate
// in another Node program, or drive the simulated Asterisk from your own tests.

export { Proxy, createProxy, type ProxyOptions } from './proxy.js';
export { loadConfig, parseConfig } from './config/load.js';
export type { Config } from './config/schema.js';
export { startSim, type Sim, type SimOptions } from './sim/server.js';
export { AmiMessage } from './protocol/message.js';
export { AmiParser } from './protocol/parser.js';
export { makeDevPki, writeDevPki } from './tls/certs.js';
export * from './errors.js';
