import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { EscalationLevel } from '../config';
import { ErrorReply } from '../contracts/api/auth';
import { EscalationChain } from '../contracts/api/escalation';
import type { Logger } from '../log';
import { requireRole } from '../api/auth';

/** A contact stored through the administration, as the escalation routing holds it. */
export interface StoredContact {
  name: string;
  level: number;
  gridId: string | null;
  webhookUrl: string | null;
}

/**
 * The chain as the guard station sees it: ESCALATION_CHAIN's levels, with the contacts stored for each. A level with
 * installation-wide stored contacts is told through them (routing.ts), so they decide its channel; grid workers are
 * listed too, and a level whose workers can be told counts as working.
 */
export function escalationChain(levels: readonly EscalationLevel[], stored: readonly StoredContact[] = []): EscalationChain {
  const webhook = (url: string | null | undefined) => (url !== undefined && url !== null ? ('webhook' as const) : null);
  const steps = levels.map((l, level) => {
    const contacts = stored.filter((c) => c.level === level && level > 0).map((c) => ({ name: c.name, gridId: c.gridId, channel: webhook(c.webhookUrl) }));
    const global = contacts.filter((c) => c.gridId === null);
    const channel = global.length > 0 ? (global.some((c) => c.channel !== null) ? ('webhook' as const) : null) : webhook(l.url);
    return { level, name: l.name, channel, contacts };
  });
  return { levels: steps, working: steps.some((s) => s.level > 0 && (s.channel !== null || s.contacts.some((c) => c.channel !== null))) };
}

/**
 * GET /api/v1/alerts/escalation-chain: the guard station shows per escalation step whether anyone was told, and warns
 * when no level above it can be told at all. A chain like that is also a maintenance warning in the log at start.
 */
export function registerEscalationChain(app: FastifyInstance, levels: readonly EscalationLevel[], log: Logger, stored: () => readonly StoredContact[] = () => []): void {
  const chain = escalationChain(levels);
  if (!chain.working) {
    log.warn({ chain: levels.map((l) => l.name) }, 'maintenance: no level of the escalation chain has a notification channel; an escalated alert reaches nobody (set ESCALATION_CHAIN urls and WEBHOOK_SECRET)');
  }
  app.withTypeProvider<ZodTypeProvider>().get('/api/v1/alerts/escalation-chain', {
    preHandler: requireRole('guard', 'admin'),
    schema: { tags: ['alerts'], summary: 'The escalation chain: which levels can be notified', security: [{ bearer: [] }], response: { 200: EscalationChain, 401: ErrorReply, 403: ErrorReply } },
  }, async () => escalationChain(levels, stored()));
}
