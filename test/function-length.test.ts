import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
import size, { MAX_FUNCTION_LINES, OVER_BOUND, SIZED_FILES } from '../eslint.size.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** ESLint with only the function-length rule (eslint.size.js, part of `npm run lint`), without type information: fast. */
const eslint = new ESLint({
  cwd: ROOT,
  overrideConfigFile: true,
  overrideConfig: [{ ignores: ['gateway/src/db/generated/**'] }, { files: ['**/*.ts', '**/*.tsx'], languageOptions: { parser: tseslint.parser } }, ...size],
});

async function lengthErrors(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${ROOT}${path}` });
  return (result?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`);
}

/** A function of `n` lines in all (its first and last line included), with `padding` blank and comment lines inside. */
function fn(n: number, padding = 0): string {
  const body = Array.from({ length: n - 4 }, (_, i) => `  total += ${i};`);
  const pad = Array.from({ length: padding }, (_, i) => (i % 2 === 0 ? '' : '  // why this line is here'));
  return ['export function f(): number {', '  let total = 0;', ...body, ...pad, '  return total;', '}', ''].join('\n');
}

/** A Preact component of `n` lines in all: a list whose items are its markup, as a long view's table grows. */
function component(n: number): string {
  const items = Array.from({ length: n - 6 }, (_, i) => `      <li>{t('item.${i}')}</li>`);
  return ['export function List({ t }: { t: (k: string) => string }) {', '  return (', '    <ul>', ...items, '    </ul>', '  );', '}', ''].join('\n');
}

describe('function length rule (eslint.size.js)', () => {
  it(`refuses a function of ${MAX_FUNCTION_LINES + 1} lines in gateway/src and devices-sim/src`, async () => {
    for (const path of ['gateway/src/alerts/fixture.ts', 'devices-sim/src/fixture.ts']) {
      const errors = await lengthErrors(path, fn(MAX_FUNCTION_LINES + 1));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/^max-lines-per-function: /);
    }
  });

  it(`refuses a component or function of ${MAX_FUNCTION_LINES + 1} lines in admin-ui/src, and accepts ${MAX_FUNCTION_LINES}`, async () => {
    const long = await lengthErrors('admin-ui/src/views/Fixture.tsx', component(MAX_FUNCTION_LINES + 1));
    expect(long).toHaveLength(1);
    expect(long[0]).toMatch(/^max-lines-per-function: Function 'List' has too many lines \(81\)/);
    expect(await lengthErrors('admin-ui/src/views/Fixture.tsx', component(MAX_FUNCTION_LINES))).toEqual([]);
    expect(await lengthErrors('admin-ui/src/fixture.ts', fn(MAX_FUNCTION_LINES + 1))).toHaveLength(1);
    expect(await lengthErrors('admin-ui/src/m/fixture.ts', fn(MAX_FUNCTION_LINES, 30))).toEqual([]);
  });

  it(`accepts ${MAX_FUNCTION_LINES} lines, not counting blank lines and comments`, async () => {
    expect(await lengthErrors('gateway/src/alerts/fixture.ts', fn(MAX_FUNCTION_LINES))).toEqual([]);
    expect(await lengthErrors('gateway/src/alerts/fixture.ts', fn(MAX_FUNCTION_LINES, 30))).toEqual([]);
  });

  it('leaves unit tests and files outside the sized folders alone', async () => {
    expect(await lengthErrors('gateway/src/alerts/fixture.test.ts', fn(MAX_FUNCTION_LINES + 40))).toEqual([]);
    expect(await lengthErrors('admin-ui/src/views/Fixture.test.tsx', component(MAX_FUNCTION_LINES + 40))).toEqual([]);
    expect(await lengthErrors('scripts/fixture.ts', fn(MAX_FUNCTION_LINES + 40))).toEqual([]);
  });

  it('lists as over the bound only files that still are, each capped at its length today', async () => {
    // The bound alone, without the caps: every listed file must still break it (an entry that is not needed goes).
    const strict = new ESLint({
      cwd: ROOT,
      overrideConfigFile: true,
      overrideConfig: [{ files: ['**/*.ts', '**/*.tsx'], languageOptions: { parser: tseslint.parser } }, ...size.slice(0, 1)],
    });
    for (const { file, max } of OVER_BOUND) {
      const [result] = await strict.lintFiles([file]);
      const over = (result?.messages ?? []).filter((m) => m.ruleId === 'max-lines-per-function');
      expect(over.length, file).toBeGreaterThan(0);
      expect(max).toBeGreaterThan(MAX_FUNCTION_LINES);
    }
  }, 120_000);

  it('passes on the tree', async () => {
    const results = await eslint.lintFiles(SIZED_FILES);
    expect(results.length).toBeGreaterThan(100);
    // The guard station and the phone app are in it too.
    expect(results.filter((r) => r.filePath.startsWith(`${ROOT}admin-ui/src/`) && r.filePath.endsWith('.tsx')).length).toBeGreaterThan(40);
    const errors = results.flatMap((r) =>
      r.messages.filter((m) => m.fatal === true || m.ruleId === 'max-lines-per-function').map((m) => `${r.filePath.slice(ROOT.length)}:${m.line} ${m.message}`),
    );
    expect(errors).toEqual([]);
    // A generous bound: a few hundred files on a shared two-core machine.
  }, 300_000);
});
