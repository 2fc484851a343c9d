// The cell's ledger of commands from the district hub (HubCommand, docs/scale-out.md "Commands"): a command id is
// claimed before the cell acts on it, in one INSERT OR IGNORE, so the same id arriving again — a request repeated
// after a reconnect, a replayed message — finds its row and is refused. The outcome is stored with it.
import { z } from 'zod';
import type { RawDb } from './client';
import { isoStored } from './time';

export interface CommandClaim {
  id: string;
  kind: string;
  target: string;
  actor: string;
  reason: string;
  receivedAt: Date;
  expiresAt: Date;
}

const Settled = z.object({ outcome: z.string().nullable(), detail: z.string().nullable() });

export function hubCommandRepo(raw: RawDb) {
  const insert = raw.prepare(
    'INSERT OR IGNORE INTO HubCommand (id, kind, target, actor, reason, receivedAt, expiresAt) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const settle = raw.prepare('UPDATE HubCommand SET outcome = ?, detail = ?, answeredAt = ? WHERE id = ?');
  const read = raw.prepare('SELECT outcome, detail FROM HubCommand WHERE id = ?');
  return {
    /** True when this id is new (now recorded); false when it was seen before. */
    claim(c: CommandClaim): boolean {
      return insert.run(c.id, c.kind, c.target, c.actor, c.reason, isoStored(c.receivedAt), isoStored(c.expiresAt)).changes === 1;
    },
    settle(id: string, outcome: string, detail: string | null, at: Date): void {
      settle.run(outcome, detail, isoStored(at), id);
    },
    /** What the cell answered the first time (null outcome: still being handled, or the cell stopped meanwhile). */
    first(id: string): z.infer<typeof Settled> | null {
      const row = read.get(id);
      return row === undefined ? null : Settled.parse(row);
    },
  };
}
export type HubCommandRepo = ReturnType<typeof hubCommandRepo>;
