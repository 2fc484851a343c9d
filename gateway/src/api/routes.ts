import type { FastifyInstance } from 'fastify';

/**
 * The one shape in which a feature hands its HTTP routes to the server: a function that registers them on the app.
 * A feature folder has a `routes.ts` exporting `<feature>Routes(deps): FeatureRoutes` (access/routes.ts,
 * alerts/routes.ts, site/routes.ts, live/routes.ts); the feature's factory exposes it as `routes`, and app.ts lists
 * them in buildHttp's `routes`, which registers them after the auth guard (so `requireRole` and `principalOf`
 * work) and before the guard station's catch-all.
 *
 * A route that declares `security` (it needs a bearer token) and sets no rate limit of its own is limited per user
 * by the kit (api/limits.ts, API_RATE_PER_MINUTE); a feature sets `config: perUser(…)` only for a tighter bound.
 */
export type FeatureRoutes = (app: FastifyInstance) => Promise<void>;
