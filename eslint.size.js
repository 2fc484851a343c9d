// No function in gateway/src or devices-sim/src is longer than 80 lines, blank lines and comments not counted
// (docs/contributing.md, "Small files, short functions"): a longer one has a seam worth cutting along. Unit tests
// beside the code are exempt (a describe block is a list of cases, not a seam). Part of `npm run lint`;
// test/function-length.test.ts proves that the rule bites and that the tree keeps it.
export const MAX_FUNCTION_LINES = 80;

export const SIZED_FILES = ['gateway/src/**/*.ts', 'devices-sim/src/**/*.ts'];

/**
 * Functions still over the bound, each capped at its length today so that it cannot grow, with why it was not cut
 * yet. An entry goes once its function is split (the test fails for an entry that is no longer needed).
 */
export const OVER_BOUND = [
  { file: 'gateway/src/replication/relay.ts', max: 112, why: 'createRelay: hub replication (#19) is reworking this file in parallel' },
  { file: 'gateway/src/access/credentials.ts', max: 108, why: 'credentialService: access/ is being changed by the resident app (#16) and access latency (#18) work in parallel' },
  { file: 'gateway/src/resident/routes.ts', max: 145, why: 'residentRoutes: the resident app (#16) is changing these routes in parallel' },
  { file: 'gateway/src/access/index.ts', max: 88, why: 'createAccessFeature: the access wiring is being changed by #16 and #18 in parallel' },
];

const options = (max) => ({ max, skipBlankLines: true, skipComments: true });

export default [
  {
    files: SIZED_FILES,
    ignores: ['**/*.test.ts'],
    rules: { 'max-lines-per-function': ['error', options(MAX_FUNCTION_LINES)] },
  },
  ...OVER_BOUND.map(({ file, max }) => ({ files: [file], rules: { 'max-lines-per-function': ['error', options(max)] } })),
];
