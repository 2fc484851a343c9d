import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';
import { registerErrorHandler } from './errors';
import { type ReadyReport, registerHealthRoutes } from './health';

export interface HttpDeps {
  log: Logger;
  metrics: Metrics;
  ready: () => ReadyReport;
  asyncapi: () => object;
}

/** Builds the HTTP server (not listening). The OpenAPI document is generated from the routes' zod schemas. */
export async function buildHttp(deps: HttpDeps): Promise<FastifyInstance> {
  const loggerInstance: FastifyBaseLogger = deps.log.child({ module: 'http' });
  const app = Fastify({
    loggerInstance,
    bodyLimit: 64 * 1024,
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
      tags: [{ name: 'ops', description: 'Health, readiness and metrics' }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  registerHealthRoutes(app, deps);
  app.get('/asyncapi.json', { schema: { tags: ['ops'], summary: 'AsyncAPI 3 document of MQTT protocol v1' } }, async () => deps.asyncapi());
  return app;
}
