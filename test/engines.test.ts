import { readFileSync } from 'node:fs';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

const Lock = z.object({
  packages: z.record(z.string(), z.object({ version: z.string().optional(), engines: z.unknown().optional(), dev: z.boolean().optional() })),
});
const Root = z.object({ engines: z.object({ node: z.string() }) });

/**
 * package.json's `engines` is a promise to whoever installs Linli: every package the lockfile pins must run on the
 * oldest Node it admits (README, "Node"). A transitive update that needs a newer Node fails here, not on a server.
 */
describe('the lockfile keeps engines.node', () => {
  it('pins no package whose engines exclude the oldest Node that package.json admits', () => {
    const root = Root.parse(JSON.parse(readFileSync('package.json', 'utf8')));
    const oldest = semver.minVersion(root.engines.node);
    expect(oldest).not.toBeNull();
    const lock = Lock.parse(JSON.parse(readFileSync('package-lock.json', 'utf8')));
    const refusing: string[] = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      const node = z.object({ node: z.string() }).safeParse(entry.engines);
      if (path === '' || !node.success) continue;
      if (!semver.satisfies(oldest!, node.data.node)) refusing.push(`${path}@${entry.version ?? '?'} needs node ${node.data.node}`);
    }
    expect(refusing).toEqual([]);
  });
});
