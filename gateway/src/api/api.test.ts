import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../log';
import { createMetrics } from '../metrics';
import { buildHttp } from '.';
import type { ReadyReport } from '../contracts/api/ops';

describe('HTTP ops routes', () => {
  let ready: ReadyReport = { status: 'ready', checks: { database: 'ok', databaseReason: null, broker: 'ok', ingest: { state: 'ok', pending: 0 } } };
  const sessions = { login: async () => ({ ok: false as const, reason: 'bad_credentials' as const, knownUser: false }), resolve: async () => null, renew: async () => null, logout: async () => undefined, start: async () => { throw new Error('not used here'); } };
  const app = buildHttp({ log: createLogger({ level: 'silent' }), metrics: createMetrics(), ready: () => ready, asyncapi: () => ({ asyncapi: '3.0.0' }), sessions, loginLimits: { perAddressAndName: 5, perAddress: 30, perName: 20 }, userRatePerMinute: 600,
    bodyLimit: 65_536,
    docs: true,
    metricsAccess: { public: false },
    trustedProxies: [],
    server: { requestTimeoutMs: 30_000, headersTimeoutMs: 10_000, idleTimeoutMs: 60_000, keepAliveTimeoutMs: 5_000, maxHeaderBytes: 16_384, maxConnections: 100, maxConnectionsPerAddress: 100, isTrustedProxy: () => false },
  });
  beforeAll(async () => (await app).ready());
  afterAll(async () => (await app).close());

  it('answers /healthz', async () => {
    const r = await (await app).inject('/healthz');
    expect(r.json()).toEqual({ status: 'ok' });
  });
  it('answers /readyz with 503 and the failing check when degraded', async () => {
    ready = { status: 'degraded', checks: { database: 'degraded', databaseReason: 'locked', broker: 'ok', ingest: { state: 'failing', pending: 12 } } };
    const r = await (await app).inject('/readyz');
    expect(r.statusCode).toBe(503);
    expect(r.json()).toMatchObject({ checks: { database: 'degraded', databaseReason: 'locked' } });
  });
  it('serves Prometheus metrics', async () => {
    const r = await (await app).inject('/metrics');
    expect(r.headers['content-type']).toMatch(/text\/plain/);
    expect(r.body).toContain('linli_mqtt_connections');
  });
  it('serves an OpenAPI document generated from the route schemas, and Swagger UI', async () => {
    const doc = (await (await app).inject('/docs/json')).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/healthz', '/readyz', '/metrics']));
    expect((await (await app).inject('/docs/')).statusCode).toBe(200);
  });
  it('answers unknown routes with a JSON 404', async () => {
    const r = await (await app).inject('/nope');
    expect(r.statusCode).toBe(404);
    expect(r.json()).toMatchObject({ error: 'NOT_FOUND' });
  });
});
