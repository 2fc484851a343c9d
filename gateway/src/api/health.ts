import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../errors';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ReadyReport } from '../contracts/api/ops';
import type { Metrics } from '../metrics';


export interface MetricsAccess {
  /** A scraper's static bearer secret. */
  token?: string;
  /** Serve anyone (device ids are in the labels). */
  public: boolean;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
const digest = (s: string) => createHash('sha256').update(s).digest();

/** Who may read /metrics (config METRICS_TOKEN / METRICS_PUBLIC): see docs/security.md. */
function mayReadMetrics(req: FastifyRequest, access: MetricsAccess): boolean {
  if (access.public || req.principal?.role === 'admin') return true;
  const auth = req.headers.authorization;
  if (access.token !== undefined && auth?.startsWith('Bearer ')) {
    // Equal-length digests: the comparison takes the same time whatever the guess.
    if (timingSafeEqual(digest(auth.slice(7).trim()), digest(access.token))) return true;
  }
  // A process on this host (Prometheus beside the gateway, the bench) — but not a local reverse proxy relaying others.
  return LOOPBACK.has(req.socket.remoteAddress ?? '') && req.headers['x-forwarded-for'] === undefined && req.headers.forwarded === undefined;
}

export function registerHealthRoutes(app: FastifyInstance, deps: { ready: () => ReadyReport; metrics: Metrics; metricsAccess: MetricsAccess }) {
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

  app.get('/metrics', {
    schema: { tags: ['ops'], summary: 'Prometheus metrics (this host, admins, or Bearer METRICS_TOKEN)', hide: false },
    preHandler: async (req) => {
      if (!mayReadMetrics(req, deps.metricsAccess)) throw new AppError('UNAUTHENTICATED', 'metrics: from this host, as an admin, or with the metrics token');
    },
  }, async (_req, reply) => {
    reply.header('content-type', deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });
}
