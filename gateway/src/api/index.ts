import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';
import type { Sessions } from '../auth/sessions';
import { type LoginLimits, registerAuth } from './auth';
import { registerErrorHandler } from './errors';
import type { ReadyReport } from '../contracts/api/ops';
import { registerSecurityHeaders } from './headers';
import { type MetricsAccess, registerHealthRoutes } from './health';
import { limitAuthenticatedRoutes } from './limits';
import { registerRenew } from './renew';
import type { FeatureRoutes } from './routes';
import { type HttpServerLimits, httpServerFactory } from './server';

export interface HttpDeps {
  log: Logger;
  metrics: Metrics;
  ready: () => ReadyReport;
  /** The AsyncAPI document, its servers named with `host` (the request's host name) when given. */
  asyncapi: (host?: string) => object;
  sessions: Sessions;
  loginLimits: LoginLimits;
  /** Requests per user per minute on every authenticated route without a limit of its own (api/limits.ts). */
  userRatePerMinute: number;
  /** Socket bounds and optional TLS (api/server.ts). */
  server: HttpServerLimits;
  bodyLimit: number;
  /** Proxies whose X-Forwarded-For is believed (addresses or CIDR blocks); empty: none. */
  trustedProxies: readonly string[];
  metricsAccess: MetricsAccess;
  /** Swagger UI at /docs. */
  docs: boolean;
  /** Feature routes (access, alerts, site, …; api/routes.ts) registered after auth, so they can use requireRole. */
  routes?: FeatureRoutes[];
}

/** Builds the HTTP server (not listening). The OpenAPI document is generated from the routes' zod schemas. */
export async function buildHttp(deps: HttpDeps): Promise<FastifyInstance> {
  const loggerInstance: FastifyBaseLogger = deps.log.child({ module: 'http' });
  const app = Fastify({
    loggerInstance,
    bodyLimit: deps.bodyLimit,
    serverFactory: httpServerFactory(deps.server),
    // A guard-room box under a reconnect storm can be slow to start; Fastify's 10 s default then aborts the start.
    pluginTimeout: 120_000,
    // req.ip is then the client's address as the trusted proxy reports it (throttles, logs).
    trustProxy: deps.trustedProxies.length > 0 ? [...deps.trustedProxies] : false,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandler(app);
  await registerSecurityHeaders(app, { tls: deps.server.tls !== undefined });
  // API replies carry tokens, PINs, pass codes and personal data: no browser or proxy cache may keep one. Routes
  // that need another policy (the live stream) set their own.
  app.addHook('onRequest', async (req, reply) => {
    if (req.url.startsWith('/api/')) void reply.header('cache-control', 'no-store');
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Linli gateway API',
        description: 'Access and alarm gateway for a smart residential community (邻里). MQTT device protocol: /asyncapi.json',
        version: '1.0.0',
      },
      tags: [
        { name: 'ops', description: 'Health, readiness and metrics' },
        { name: 'auth', description: 'Log in and out; every other /api route needs `Authorization: Bearer <token>`' },
      ],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
    transform: jsonSchemaTransform,
  });
  if (deps.docs) await app.register(swaggerUi, { routePrefix: '/docs' });

  registerHealthRoutes(app, deps);
  limitAuthenticatedRoutes(app, deps.userRatePerMinute);
  await registerAuth(app, deps.sessions, deps.loginLimits);
  registerRenew(app, deps.sessions);
  for (const register of deps.routes ?? []) await register(app);
  app.get('/asyncapi.json', { schema: { tags: ['ops'], summary: 'AsyncAPI 3 document of MQTT protocol v1' } }, async (req) => deps.asyncapi(req.hostname.replace(/:\d+$/, '') || undefined));
  return app;
}
