import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { isDatabaseBusy } from '../db/client';
import { AppError } from '../errors';

/** Seconds a client is asked to wait when the database stayed locked through the bounded wait. */
const BUSY_RETRY_AFTER_SEC = 2;

/**
 * The one HTTP error handler: AppError codes map to their status, validation to 400 with the issues, everything
 * else to a generic 500 whose details go only to the log.
 */
export function registerErrorHandler(app: FastifyInstance) {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (hasZodFastifySchemaValidationErrors(err)) {
      return reply.code(400).send({
        error: 'VALIDATION',
        message: 'request does not match the schema',
        issues: err.validation.map((v) => ({ path: v.instancePath || '/', message: v.message ?? v.keyword })),
      });
    }
    if (err instanceof AppError) {
      if (err.status >= 500) req.log.error({ err }, err.message);
      return reply.code(err.status).send({ error: err.code, message: err.message, ...(err.issues ? { issues: err.issues } : {}), ...(err.details ? { details: err.details } : {}) });
    }
    if (isDatabaseBusy(err)) {
      // The lock outlasted the bounded asynchronous wait (db/non-blocking.ts): nothing was written; try again.
      req.log.warn({ url: req.url, method: req.method }, 'database locked; answered 503');
      return reply.code(503).header('retry-after', String(BUSY_RETRY_AFTER_SEC)).send({ error: 'DATABASE_BUSY', message: 'the database is busy; retry shortly' });
    }
    if (err.statusCode === 429) {
      return reply.code(429).send({ error: 'RATE_LIMITED', message: err.message });
    }
    if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500 && !isResponseSerializationError(err)) {
      return reply.code(err.statusCode).send({ error: err.code ?? 'BAD_REQUEST', message: err.message });
    }
    req.log.error({ err }, 'unhandled error');
    return reply.code(500).send({ error: 'INTERNAL', message: 'internal error' });
  });
  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send({ error: 'NOT_FOUND', message: `no route ${req.method} ${req.url}` });
  });
}
