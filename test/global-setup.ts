import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    templateDb: string;
  }
}

/** Migrates one template database with the real `prisma migrate deploy`; each test copies it to its own file. */
export default function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), 'linli-template-'));
  const file = join(dir, 'template.db');
  const res = spawnSync('node_modules/.bin/prisma', ['migrate', 'deploy'], {
    env: { ...process.env, DATABASE_URL: `file:${file}` },
    encoding: 'utf8',
  });
  if (res.status !== 0) throw new Error(`prisma migrate deploy failed:\n${res.stdout}\n${res.stderr}`);
  project.provide('templateDb', file);
  return () => rmSync(dir, { recursive: true, force: true });
}
