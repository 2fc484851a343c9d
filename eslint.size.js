// No function in gateway/src or devices-sim/src is longer than 80 lines, blank lines and comments not counted
// (docs/contributing.md, "Small files, short functions"): a longer one has a seam worth cutting along. Unit tests
// beside the code are exempt (a describe block is a list of cases, not a seam). Part of `npm run lint`;
// test/function-length.test.ts proves that the rule bites and that the tree keeps it.
export const MAX_FUNCTION_LINES = 80;

export const SIZED_FILES = ['gateway/src/**/*.ts', 'devices-sim/src/**/*.ts'];

export default [
  {
    files: SIZED_FILES,
    ignores: ['**/*.test.ts'],
    rules: {
      'max-lines-per-function': ['error', { max: MAX_FUNCTION_LINES, skipBlankLines: true, skipComments: true }],
    },
  },
];
