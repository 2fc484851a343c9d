import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import layers from './eslint.layers.js';
import size from './eslint.size.js';

export default tseslint.config(
  { ignores: ['**/node_modules/**', 'gateway/src/db/generated/**', 'gateway/src/db/generated-pg/**', '**/dist/**', 'data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-assertions': ['error', { assertionStyle: 'as', objectLiteralTypeAssertions: 'never' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Only config/ reads the environment (docs/contributing.md).
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'read configuration through gateway/src/config' }],
    },
  },
  {
    // The guard station runs in the browser: its globals (window, document, EventSource, AudioContext) come from
    // admin-ui/tsconfig.json's DOM lib, which typescript-eslint type-checks against; there is no process.env there.
    files: ['admin-ui/**/*.{ts,tsx}'],
    languageOptions: { globals: globals.browser },
  },
  {
    // The resident app's service worker (admin-ui/public/m/sw.js) is plain JavaScript copied as is by Vite.
    files: ['admin-ui/public/**/*.js'],
    languageOptions: { globals: globals.serviceworker },
  },
  {
    // Plain Node scripts that must run without tsx (scripts/postinstall.mjs runs in production installs).
    files: ['scripts/**/*.mjs'],
    languageOptions: { globals: globals.node },
  },
  {
    files: ['gateway/src/config/**', 'prisma.config.ts', 'test/**', 'devices-sim/src/cli.ts', 'prisma/*.ts', 'scripts/**'],
    rules: { 'no-restricted-properties': 'off' },
  },
  // Imports only point down the layers of gateway/src (eslint.layers.js, docs/architecture.md).
  ...layers,
  // No function over 80 lines in gateway/src and devices-sim/src (eslint.size.js, docs/contributing.md).
  ...size,
);
