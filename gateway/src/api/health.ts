import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ReadyReport } from '../contracts/api/ops';
import type { Metrics } from '../metrics';


export function registerHealthRoutes(app: FastifyInstance, deps: { ready: () => ReadyReport; metrics: Metrics }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/healthz', {
    schema: { tags: ['ops'], summary: 'Liveness: the process answers', response: { 200: z.object({ status: z.literal('ok') }) } },
  }, async () => ({ status: 'ok' as const }));

  r.get('/readyz', {
    schema: {
      tags: ['ops'],
      summary: 'Readiness: database writable, broker up, ingest keeping up',
      response: { 200: ReadyReport, 503: ReadyReport },
    },
  }, async (_req, reply) => {
    const report = deps.ready();
    return reply.code(report.status === 'ready' ? 200 : 503).send(report);
  });

  app.get('/metrics', { schema: { tags: ['ops'], summary: 'Prometheus metrics', hide: false } }, async (_req, reply) => {
    reply.header('content-type', deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });
}
