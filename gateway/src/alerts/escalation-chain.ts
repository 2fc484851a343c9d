import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { EscalationLevel } from '../config';
import { ErrorReply } from '../contracts/api/auth';
import { EscalationChain } from '../contracts/api/escalation';
import type { Logger } from '../log';
import { requireRole } from '../api/auth';

export function escalationChain(levels: readonly EscalationLevel[]): EscalationChain {
  const steps = levels.map((l, level) => ({ level, name: l.name, channel: l.url !== undefined ? ('webhook' as const) : null }));
  return { levels: steps, working: steps.some((s) => s.level > 0 && s.channel !== null) };
}

/**
 * GET /api/v1/alerts/escalation-chain: the guard station shows per escalation step whether anyone was told, and warns
 * when no level above it can be told at all. A chain like that is also a maintenance warning in the log at start.
 */
export function registerEscalationChain(app: FastifyInstance, levels: readonly EscalationLevel[], log: Logger): void {
  const chain = escalationChain(levels);
  if (!chain.working) {
    log.warn({ chain: levels.map((l) => l.name) }, 'maintenance: no level of the escalation chain has a notification channel; an escalated alert reaches nobody (set ESCALATION_CHAIN urls and WEBHOOK_SECRET)');
  }
  app.withTypeProvider<ZodTypeProvider>().get('/api/v1/alerts/escalation-chain', {
    preHandler: requireRole('guard', 'admin'),
    schema: { tags: ['alerts'], summary: 'The escalation chain: which levels can be notified', security: [{ bearer: [] }], response: { 200: EscalationChain, 401: ErrorReply, 403: ErrorReply } },
  }, async () => chain);
}
