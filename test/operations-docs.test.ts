import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configVariables, renderEnvExample } from '../gateway/src/config/env-example';

/** Variables named in the first column of docs/operations.md's configuration tables. */
function documentedVariables(): Set<string> {
  const md = readFileSync('docs/operations.md', 'utf8');
  const names = new Set<string>();
  for (const line of md.split('\n')) {
    const first = /^\|([^|]+)\|/.exec(line)?.[1];
    if (!first) continue;
    for (const m of first.matchAll(/`([A-Z][A-Z0-9_]+)`/g)) names.add(m[1]!);
  }
  return names;
}

describe('operator documentation follows the config schema', () => {
  it('.env.example is what `npm run docs` generates from the schema', () => {
    expect(readFileSync('.env.example', 'utf8')).toBe(renderEnvExample());
  });
  it('every variable the gateway reads is documented in docs/operations.md, and nothing documented is unknown', () => {
    const schema = new Set(configVariables());
    const documented = documentedVariables();
    expect([...schema].filter((v) => !documented.has(v))).toEqual([]);
    expect([...documented].filter((v) => !schema.has(v))).toEqual([]);
  });
});
