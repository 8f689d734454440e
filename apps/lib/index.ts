/** Shared library of the EFD apps (salmock, saltransform, salschema, …). */
export * from './kafka';
export * from './registry';
export * from './config';
export * from './metrics';
export * from './logging';
export * from './shutdown';
export { registryApiUrl, registryBehaviour, registryFlavor } from './registry-compat';
export * from './app';
export * from './latency';
