import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
import layers from '../eslint.layers.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** ESLint with only the layer rule (eslint.layers.js, part of `npm run lint`), without type information: fast. */
const eslint = new ESLint({
  cwd: ROOT,
  overrideConfigFile: true,
  overrideConfig: [{ ignores: ['gateway/src/db/generated/**'] }, { files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } }, ...layers],
});

/** The layer rule's messages for `code` as if it were the file `path` (relative to the repository). */
async function layerErrors(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${ROOT}${path}` });
  return (result?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`);
}

// Fixtures: one import each, placed (virtually) in a folder of gateway/src.
const upward: Array<[string, string]> = [
  // db/ importing a feature's records or routes: the arrows #14 removed.
  ['gateway/src/db/fixture.ts', "import { accessRoutes } from '../access/routes';\nexport const x = accessRoutes;\n"],
  ['gateway/src/db/records/fixture.ts', "import { PERIMETER } from '../../access/decide';\nexport const x = PERIMETER;\n"],
  ['gateway/src/auth/fixture.ts', "import type { SessionRepo } from '../db/sessions';\nexport type X = SessionRepo;\n"],
  // The HTTP kit importing a feature, a feature importing a sibling feature.
  ['gateway/src/api/fixture.ts', "import type { SiteFeature } from '../site';\nexport type X = SiteFeature;\n"],
  ['gateway/src/access/fixture.ts', "import { alertRoutes } from '../alerts/routes';\nexport const x = alertRoutes;\n"],
  // Anything importing the wiring.
  ['gateway/src/contracts/fixture.ts', "import { buildGateway } from '../app';\nexport const x = buildGateway;\n"],
];

const downward: Array<[string, string]> = [
  ['gateway/src/db/fixture.ts', "import { catalogue } from '../contracts';\nexport const x = catalogue;\n"],
  ['gateway/src/access/fixture.ts', "import { requireRole } from '../api/auth';\nexport const x = requireRole;\n"],
  ['gateway/src/fixture.ts', "import { createAccessFeature } from './access';\nexport const x = createAccessFeature;\n"],
  ['gateway/src/alerts/fixture.ts', "import { store } from './store';\nexport const x = store;\n"],
];

describe('layer rule (eslint.layers.js)', () => {
  it.each(upward)('refuses an upward import in %s', async (path, code) => {
    const errors = await layerErrors(path, code);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^boundaries\/dependencies: /);
  });

  it.each(downward)('accepts a downward or same-folder import in %s', async (path, code) => {
    expect(await layerErrors(path, code)).toEqual([]);
  });

  it('passes on the tree', async () => {
    const results = await eslint.lintFiles(['gateway/src/**/*.ts']);
    expect(results.length).toBeGreaterThan(100);
    // Only this rule's findings and parse failures: other rules' disable comments mean nothing to this config.
    const errors = results.flatMap((r) =>
      r.messages.filter((m) => m.fatal === true || m.ruleId?.startsWith('boundaries/')).map((m) => `${r.filePath.slice(ROOT.length)}:${m.line} ${m.ruleId}: ${m.message}`),
    );
    expect(errors).toEqual([]);
    // A generous bound: some 250 files on a shared two-core machine.
  }, 300_000);
});
