import type { RoutingSnapshot } from '../db/grids';
import type { ChainTargets } from './notifier';

/** One place an escalation level is told. */
export interface RouteTarget {
  name: string;
  url?: string | undefined;
}

/**
 * Who is told when an alert reaches a level: the household's grid worker(s) first (网格员: the first human contact
 * for a grid, DOMAIN.md), else the installation-wide contacts stored for that level, else ESCALATION_CHAIN's level
 * (the default). Held in memory, because the outbox rows are written inside the alert's own synchronous write; the
 * administration reloads it after every change to grids, households or contacts.
 */
export class EscalationRouting {
  private householdGrid = new Map<string, string>();
  private byGrid = new Map<string, RouteTarget[]>();
  private global = new Map<number, RouteTarget[]>();
  private stored: RoutingSnapshot['contacts'] = [];

  constructor(private readonly chain: ChainTargets) {}

  load(s: RoutingSnapshot): void {
    this.stored = s.contacts;
    this.householdGrid = new Map(s.householdGrids.map((h) => [h.householdId, h.gridId]));
    const byGrid = new Map<string, RouteTarget[]>();
    const global = new Map<number, RouteTarget[]>();
    for (const c of s.contacts) {
      const target = { name: c.name, url: c.webhookUrl ?? undefined };
      if (c.gridId === null) push(global, c.level, target);
      else push(byGrid, `${c.gridId}|${c.level}`, target);
    }
    this.byGrid = byGrid;
    this.global = global;
  }

  /** The active stored contacts (active grids only), for GET /api/v1/alerts/escalation-chain. */
  contacts(): RoutingSnapshot['contacts'] {
    return this.stored;
  }

  /**
   * The targets for this household at this level. Level 0 is the guard station itself (the live stream), never
   * rerouted. A stored contact without a webhook is still the route (it is shown, and phoned by people), so the
   * environment's level is not told behind its back.
   */
  targets(householdId: string | null, level: number): RouteTarget[] {
    if (level > 0) {
      const grid = householdId === null ? undefined : this.householdGrid.get(householdId);
      const workers = grid === undefined ? undefined : this.byGrid.get(`${grid}|${level}`);
      if (workers && workers.length > 0) return workers;
      const stored = this.global.get(level);
      if (stored && stored.length > 0) return stored;
    }
    const env = this.chain[level];
    return env ? [env] : [];
  }
}

function push<K>(m: Map<K, RouteTarget[]>, k: K, v: RouteTarget): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}
