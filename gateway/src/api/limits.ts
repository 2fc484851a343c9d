import type { FastifyRequest } from 'fastify';

export interface AccessLimits {
  /** Requests per user per minute on the access routes. */
  perMinute: number;
}

/**
 * Route config for @fastify/rate-limit, counted per signed-in user (per address before sign-in): one resident's
 * script cannot flood the gateway, and a guard room sharing one address is not throttled as a whole.
 */
export function perUser(max: number, timeWindowMs: number, hook: 'onRequest' | 'preHandler' = 'onRequest') {
  return {
    rateLimit: {
      max,
      timeWindow: timeWindowMs,
      hook,
      keyGenerator: (req: FastifyRequest) => (req.principal ? `u:${req.principal.userId}` : `ip:${req.ip}`),
    },
  };
}
