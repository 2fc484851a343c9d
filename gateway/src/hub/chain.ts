// Each compound's escalation chain above it (docs/scale-out.md "Escalation at the hub"): property company → street
// office → district, say, each level with a webhook or none. Stored in hub_chain_level for one compound, or as the
// default of a street or of the district; the most specific one that has levels is the compound's chain. Managed with
// the hub CLI (hub-cli.ts chain …), shown read-only in the hub API (no URL leaves: only whether a level has one).
import type { Pool, PoolClient } from 'pg';
import { z } from 'zod';
import type { HubChain } from '../contracts/api/hub';

export interface HubChainLevel {
  level: number;
  name: string;
  /** The level's webhook; null: nobody at this level can be told. */
  url: string | null;
}
export type ChainScope = { kind: 'district' } | { kind: 'street' | 'compound'; id: string };
export interface ResolvedChain {
  source: 'compound' | 'street' | 'district' | null;
  levels: HubChainLevel[];
}

const LevelRow = z.object({ scope_kind: z.enum(['compound', 'street', 'district']), level: z.number().int(), name: z.string(), webhook_url: z.string().nullable() });
const SPECIFIC = ['compound', 'street', 'district'] as const;

/** A level as the CLI takes it: `name` (no channel) or `name=https://…`. */
export function parseLevel(arg: string): { name: string; url: string | null } | string {
  const eq = arg.indexOf('=');
  const name = (eq < 0 ? arg : arg.slice(0, eq)).trim();
  const url = eq < 0 ? null : arg.slice(eq + 1).trim();
  if (name.length < 1 || name.length > 100) return `a level needs a name of 1–100 characters (got "${arg}")`;
  if (url !== null && !z.url({ protocol: /^https?$/ }).safeParse(url).success) return `level ${name}: the webhook must be an http(s) URL`;
  return { name, url };
}

type Queryable = Pool | PoolClient;

export function hubChains(db: Queryable) {
  return {
    /** The compound's chain: its own levels, else its street's default, else the district's; levels ascending. */
    async resolve(compound: string): Promise<ResolvedChain> {
      const res = await db.query(
        `SELECT l.scope_kind, l.level, l.name, l.webhook_url FROM hub_chain_level l
          WHERE (l.scope_kind = 'compound' AND l.scope_id = $1)
             OR (l.scope_kind = 'street' AND l.scope_id = (SELECT street_id FROM hub_compound WHERE id = $1))
             OR l.scope_kind = 'district'
          ORDER BY l.level`,
        [compound],
      );
      const rows = res.rows.map((r) => LevelRow.parse(r));
      for (const kind of SPECIFIC) {
        const mine = rows.filter((r) => r.scope_kind === kind);
        if (mine.length > 0) return { source: kind, levels: mine.map((r) => ({ level: r.level, name: r.name, url: r.webhook_url })) };
      }
      return { source: null, levels: [] };
    },
  };
}

/** Replaces the chain of a scope with `levels` (level 1 first); none: removes it (the next default applies). */
export async function setChain(pool: Pool, scope: ChainScope, levels: { name: string; url: string | null }[]): Promise<void> {
  const scopeId = scope.kind === 'district' ? '' : scope.id;
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('DELETE FROM hub_chain_level WHERE scope_kind = $1 AND scope_id = $2', [scope.kind, scopeId]);
    for (const [i, l] of levels.entries()) {
      await client.query('INSERT INTO hub_chain_level (scope_kind, scope_id, level, name, webhook_url) VALUES ($1, $2, $3, $4, $5)', [scope.kind, scopeId, i + 1, l.name, l.url]);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** The chain as the hub API shows it: which levels have a channel, and whether anyone at all can be told. */
export function chainView(compound: string, chain: ResolvedChain): HubChain {
  const levels = chain.levels.map((l) => ({ level: l.level, name: l.name, channel: l.url === null ? null : ('webhook' as const) }));
  return { compound, source: chain.source, levels, working: levels.some((l) => l.channel !== null) };
}
