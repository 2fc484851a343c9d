import { maskPhone } from '../contracts/mask';
import type { AuditEntryView, AuditPage, AuditQuery } from '../contracts/api/admin-people';
import type { PrismaClient } from './client';

/** A transaction's client (what `prisma.$transaction(async (tx) => …)` hands over). */
export type Tx = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];

/** Keys whose values never enter the audit log, whatever object they are in. */
const SECRET_KEYS = new Set(['lookupHash', 'secretHash', 'passwordHash', 'authMemo', 'pin', 'value', 'codeHash', 'password', 'token']);

/**
 * What an audit row may keep of an object: secrets (PINs, card numbers, hashes) are replaced by "[redacted]",
 * phone numbers masked (138****1234), webhook URLs cut to origin and path (a query often carries a token).
 */
export function redactForAudit(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(redactForAudit);
  if (v instanceof Date) return v.toISOString();
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (SECRET_KEYS.has(k)) out[k] = x === null ? null : '[redacted]';
    else if (k === 'phone' && typeof x === 'string') out[k] = maskPhone(x);
    else if (k === 'webhookUrl' && typeof x === 'string') out[k] = urlWithoutQuery(x);
    else out[k] = redactForAudit(x);
  }
  return out;
}

function urlWithoutQuery(u: string): string {
  try {
    const url = new URL(u);
    return `${url.origin}${url.pathname}${url.search || url.hash ? '?[redacted]' : ''}`;
  } catch {
    return '[redacted]';
  }
}

export interface AuditChange {
  actor: string;
  action: string;
  entity: string;
  entityId: string;
  before: unknown;
  after: unknown;
  /** Anything else worth keeping (never a secret). */
  extra?: Record<string, unknown>;
}

/** Writes one audit row inside the caller's transaction: who did what, and the object before and after. */
export async function writeAudit(tx: Tx, c: AuditChange, at: Date): Promise<void> {
  await tx.auditLog.create({
    data: {
      at,
      actor: c.actor,
      action: c.action,
      entity: c.entity,
      entityId: c.entityId,
      detail: JSON.stringify({ before: redactForAudit(c.before), after: redactForAudit(c.after), ...(c.extra ?? {}) }),
    },
  });
}

function parseDetail(s: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(s);
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) return Object.fromEntries(Object.entries(v));
    return { value: v };
  } catch {
    return { raw: s };
  }
}

/** The audit log, newest first, filtered, a page at a time (keyset on the id). */
export function auditRepo(prisma: PrismaClient) {
  return {
    async list(q: AuditQuery): Promise<AuditPage> {
      const action = q.action === undefined ? {} : q.action.endsWith('.') ? { action: { startsWith: q.action } } : { action: q.action };
      const rows = await prisma.auditLog.findMany({
        where: {
          ...(q.entity !== undefined ? { entity: q.entity } : {}),
          ...(q.entityId !== undefined ? { entityId: q.entityId } : {}),
          ...(q.actor !== undefined ? { actor: q.actor } : {}),
          ...action,
          ...(q.from !== undefined || q.to !== undefined
            ? { at: { ...(q.from !== undefined ? { gte: new Date(q.from) } : {}), ...(q.to !== undefined ? { lt: new Date(q.to) } : {}) } }
            : {}),
          ...(q.before !== undefined ? { id: { lt: q.before } } : {}),
        },
        orderBy: { id: 'desc' },
        take: q.limit + 1,
      });
      const page = rows.slice(0, q.limit);
      const entries: AuditEntryView[] = page.map((r) => ({ id: r.id, at: r.at.toISOString(), actor: r.actor, action: r.action, entity: r.entity, entityId: r.entityId, detail: parseDetail(r.detail) }));
      return { entries, nextBefore: rows.length > q.limit ? (page.at(-1)?.id ?? null) : null };
    },
  };
}

export type AuditRepo = ReturnType<typeof auditRepo>;
