// The layers of gateway/src, lowest first (docs/architecture.md opens with this list). A file may import from its own
// folder and from any folder in a lower layer; never from its own layer's other folders, never from a higher one.
// Enforced by eslint-plugin-boundaries in `npm run lint`; test/layers.test.ts proves that the rule bites.
import boundaries from 'eslint-plugin-boundaries';

export const LAYERS = [
  ['contracts', 'random'], // shapes that cross a boundary, the topic catalogue, masks; the seeded PRNG
  ['config', 'log', 'errors', 'metrics', 'bus'], // the kernel: one config, one logger, one error type, one registry, the bus
  ['rules'], // pure alert rules
  ['auth'], // hashing, the credential key, sessions and device login behind auth/ports.ts
  ['db'], // the only importer of Prisma; repositories, writers, and the records they return (db/records/)
  ['runtime'], // the process's own upkeep: heap trim, scheduled backups; the Lifecycle features implement
  ['broker'], // Aedes and its hooks, behind broker/ports.ts
  ['ingest'], // bytes → stored event (may use the broker's port types)
  ['api'], // the HTTP kit: server, auth guard, error handler, OpenAPI, rate limits, headers, ops routes, the UI's files
  ['live'], // the guard station's live stream, driven by alerts/
  ['access', 'alerts', 'site', 'admin', 'devices', 'users', 'transfer', 'station', 'resident', 'replication', 'hub'], // the features: they talk to each other only through the bus
  ['demo'], // the demo community's seed (tooling; the gateway never loads it)
  ['app'], // app.ts (wiring), main.ts, cli.ts
];

const SRC = 'gateway/src';
const elements = LAYERS.flat().map((type) =>
  // app: the files directly in gateway/src (a file belongs to the innermost folder that is an element).
  type === 'app' ? { type, pattern: SRC } : { type, pattern: `${SRC}/${type}` },
);

const policies = LAYERS.flatMap((layer, rank) =>
  layer.map((type) => ({
    from: { element: { type } },
    allow: { to: { element: { types: { anyOf: [type, ...LAYERS.slice(0, rank).flat()] } } } },
  })),
);

export default [
  {
    files: [`${SRC}/**/*.ts`],
    plugins: { boundaries },
    settings: {
      'boundaries/elements': elements,
      'boundaries/ignore': [`${SRC}/db/generated/**`, `${SRC}/db/generated-pg/**`],
      'import/resolver': { node: { extensions: ['.ts', '.tsx', '.js'] } },
    },
    rules: {
      'boundaries/dependencies': ['error', { default: 'disallow', policies }],
    },
  },
];
