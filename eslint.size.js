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
  { file: 'gateway/src/replication/relay.ts', max: 115, why: 'createRelay: hub replication (#19) reworked this file while the rule landed' },
  { file: 'gateway/src/access/credentials.ts', max: 108, why: 'credentialService: access/ was changed by the resident app (#16) and access latency (#18) work in parallel' },
  { file: 'gateway/src/resident/routes.ts', max: 145, why: 'residentRoutes: the resident app (#16) changed these routes in parallel' },
  { file: 'gateway/src/access/index.ts', max: 92, why: 'createAccessFeature: the access wiring was changed by #16 (walk-ins) and #18 (early decisions) in parallel' },
  // Landed in session 5's merge, written in parallel with the rule: each has a seam to cut along (#14).
  { file: 'gateway/src/access/walk-ins.ts', max: 165, why: 'walkInService (#16): ask/answer/deadline/long-poll in one factory; the deadline timers and the long poll are its seams' },
  { file: 'gateway/src/db/replication.ts', max: 111, why: 'replicationRepo (#19): one repository per replicated table is its seam' },
  { file: 'gateway/src/db/retention.ts', max: 86, why: 'purgeExpired (#16, #19): the walk-in and hub-confirmed floors were added in parallel; one step per data class is its seam' },
  { file: 'gateway/src/hub/cells.ts', max: 90, why: 'createCellWatch (#19): the KV watch and the offline-alert judge are its seams' },
  { file: 'gateway/src/hub/writer.ts', max: 83, why: 'createHubWriter (#19): the watermark publishing is its seam' },
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
