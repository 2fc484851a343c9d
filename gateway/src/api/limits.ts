import type { FastifyInstance, FastifyRequest } from 'fastify';

export interface AccessLimits {
  /** Requests per user per minute on the access routes. */
  perMinute: number;
}

/**
 * Route config for @fastify/rate-limit, counted per signed-in user (per address before sign-in): one resident's
 * script cannot flood the gateway, and a guard room sharing one address is not throttled as a whole.
 */
export function perUser(max: number, timeWindowMs: number, hook: 'onRequest' | 'preHandler' = 'onRequest', userOf: UserOf = cellUser) {
  return {
    rateLimit: {
      max,
      timeWindow: timeWindowMs,
      hook,
      keyGenerator: (req: FastifyRequest) => {
        const user = userOf(req);
        return user !== null ? `u:${user}` : `ip:${req.ip}`;
      },
    },
  };
}

/** Who a request is signed in as, for counting: a user id, or null before sign-in (counted by address). */
export type UserOf = (req: FastifyRequest) => string | null;
const cellUser: UserOf = (req) => req.principal?.userId ?? null;

/**
 * Every authenticated route (one whose schema declares `security`) that sets no limit of its own gets
 * `perUser(perMinute, 1 min)`, so no feature can forget one. Must be added before @fastify/rate-limit is registered:
 * onRoute hooks run in the order they were added, and the plugin reads the route's config in its own.
 */
export function limitAuthenticatedRoutes(app: FastifyInstance, perMinute: number, userOf: UserOf = cellUser, hook: 'onRequest' | 'preHandler' = 'onRequest'): void {
  app.addHook('onRoute', (route) => {
    if (route.schema?.security === undefined) return;
    const config: object = route.config ?? {};
    if ('rateLimit' in config) return;
    route.config = { ...config, ...perUser(perMinute, 60_000, hook, userOf) };
  });
}
