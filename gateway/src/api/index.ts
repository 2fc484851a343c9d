import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';
import type { Sessions } from '../auth/sessions';
import { registerAuth } from './auth';
import { registerErrorHandler } from './errors';
import type { ReadyReport } from '../contracts/api/ops';
import { registerHealthRoutes } from './health';

export interface HttpDeps {
  log: Logger;
  metrics: Metrics;
  ready: () => ReadyReport;
  /** The AsyncAPI document, its servers named with `host` (the request's host name) when given. */
  asyncapi: (host?: string) => object;
  sessions: Sessions;
  loginPerMinute: number;
  /** Feature routes (access, alerts, live, …) registered after auth, so they can use requireRole. */
  routes?: Array<(app: FastifyInstance) => Promise<void> | void>;
}

/** Builds the HTTP server (not listening). The OpenAPI document is generated from the routes' zod schemas. */
export async function buildHttp(deps: HttpDeps): Promise<FastifyInstance> {
  const loggerInstance: FastifyBaseLogger = deps.log.child({ module: 'http' });
  const app = Fastify({
    loggerInstance,
    bodyLimit: 64 * 1024,
    // A guard-room box under a reconnect storm can be slow to start; Fastify's 10 s default then aborts the start.
    pluginTimeout: 120_000,
    trustProxy: false,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandler(app);

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
  await app.register(swaggerUi, { routePrefix: '/docs' });

  registerHealthRoutes(app, deps);
  await registerAuth(app, deps.sessions, { loginPerMinute: deps.loginPerMinute });
  for (const register of deps.routes ?? []) await register(app);
  app.get('/asyncapi.json', { schema: { tags: ['ops'], summary: 'AsyncAPI 3 document of MQTT protocol v1' } }, async (req) => deps.asyncapi(req.hostname.replace(/:\d+$/, '') || undefined));
  return app;
}
