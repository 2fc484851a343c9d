export * from './common';
export * from './payloads';
export * from './topics';
export * from './seed-secrets';
