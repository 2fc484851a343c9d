import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser } from './helpers/fixtures';
import { type TestGateway, startGateway } from './helpers/gateway';
import { apiClient } from './helpers/http';
import { CHROMIUM, launchBrowser, skipBrowser } from './e2e/harness';

/** A raw GET, so odd paths reach the server exactly as written (fetch would normalise them). */
function rawGet(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', headers, insecureHTTPParser: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('HTTP hardening', () => {
  let t: TestGateway;
  let ui: string;
  const METRICS_TOKEN = 'scrape-token-0123456789abcdef0123456789';

  beforeAll(async () => {
    ui = mkdtempSync(join(tmpdir(), 'linli-ui-'));
    mkdirSync(join(ui, 'assets'));
    writeFileSync(join(ui, 'index.html'), '<!doctype html><title>guard</title>');
    writeFileSync(join(ui, 'assets', 'app.js'), 'console.log(1)');
    t = await startGateway({ UI_DIST_DIR: ui, METRICS_TOKEN });
    await addUser(t.gw.db.prisma, { username: 'admin', password: 'admin-pw-0001', role: 'admin' });
    await addUser(t.gw.db.prisma, { username: 'guard1', password: 'guard-pw-0001', role: 'guard' });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(ui, { recursive: true, force: true });
  });

  it('sends security headers on pages, API replies and errors', async () => {
    for (const path of ['/', '/healthz', '/api/v1/auth/me', '/docs/', '/no/such/thing']) {
      const r = await rawGet(t.ports.http, path);
      expect(r.headers['content-security-policy'], path).toContain("frame-ancestors 'none'");
      expect(r.headers['content-security-policy'], path).toContain("script-src 'self'");
      expect(r.headers['x-content-type-options'], path).toBe('nosniff');
      expect(r.headers['referrer-policy'], path).toBe('no-referrer');
    }
  });

  it('marks every API reply no-store, those with a token or a secret included', async () => {
    const login = await fetch(`${t.httpUrl}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'guard1', password: 'guard-pw-0001' }) });
    expect(login.status).toBe(200);
    expect(login.headers.get('cache-control')).toBe('no-store');
    const token = ((await login.json()) as { token: string }).token;
    const ticket = await fetch(`${t.httpUrl}/api/v1/live/ticket`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(ticket.headers.get('cache-control')).toBe('no-store');
    const refused = await fetch(`${t.httpUrl}/api/v1/auth/me`);
    expect(refused.headers.get('cache-control')).toBe('no-store');
  });

  it('answers odd paths with 4xx, never 500', async () => {
    const odd = ['/index.html%00.js', '/%00', '/assets/%00app.js', '/%E0%A4%A', '/..%2f..%2fetc%2fpasswd', '/assets/..%2f..%2f..%2fpackage.json',
      '/api/v1/alerts/%00', '/api/v1/passes/%ff', `/${'a'.repeat(5000)}`, '/docs/%00', '/%2e%2e/%2e%2e/', '/index.html%20', '/.env'];
    for (const path of odd) {
      const r = await rawGet(t.ports.http, path);
      expect(r.status, `${path}: ${r.body.slice(0, 200)}`).toBeLessThan(500);
      expect(r.body).not.toContain('root:');
    }
  });

  it('serves /metrics to this host, an admin or the scrape token, and to nobody else', async () => {
    const api = apiClient(t.httpUrl);
    const admin = await api.login({ username: 'admin', password: 'admin-pw-0001' });
    const guard = await api.login({ username: 'guard1', password: 'guard-pw-0001' });
    const viaProxy = { 'x-forwarded-for': '203.0.113.9' };
    expect((await rawGet(t.ports.http, '/metrics')).status).toBe(200);
    expect((await rawGet(t.ports.http, '/metrics', viaProxy)).status).toBe(401);
    expect((await rawGet(t.ports.http, '/metrics', { ...viaProxy, authorization: `Bearer ${guard}` })).status).toBe(401);
    expect((await rawGet(t.ports.http, '/metrics', { ...viaProxy, authorization: 'Bearer not-the-token' })).status).toBe(401);
    expect((await rawGet(t.ports.http, '/metrics', { ...viaProxy, authorization: `Bearer ${admin}` })).status).toBe(200);
    const scraped = await rawGet(t.ports.http, '/metrics', { ...viaProxy, authorization: `Bearer ${METRICS_TOKEN}` });
    expect(scraped.status).toBe(200);
    expect(scraped.body).toContain('linli_mqtt_connections');
  });

  it('leaves /docs out when DOCS_ENABLED=false', async () => {
    const off = await startGateway({ DOCS_ENABLED: 'false', UI_DIST_DIR: '' });
    try {
      expect((await rawGet(off.ports.http, '/docs/')).status).toBe(404);
      expect((await rawGet(off.ports.http, '/docs/json')).status).toBe(404);
    } finally {
      await off.close();
    }
  });

  it('serves HTTPS when HTTP_TLS_CERT_FILE and HTTP_TLS_KEY_FILE are given, with HSTS', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'linli-tls-'));
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
    const tls = await startGateway({ HTTP_TLS_CERT_FILE: cert, HTTP_TLS_KEY_FILE: key });
    try {
      const reply = await new Promise<{ status: number; hsts: unknown; body: string }>((resolve, reject) => {
        const req = httpsRequest({ host: '127.0.0.1', port: tls.ports.http, path: '/healthz', ca: readFileSync(cert), servername: '127.0.0.1', checkServerIdentity: () => undefined }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, hsts: res.headers['strict-transport-security'], body }));
        });
        req.on('error', reject);
        req.end();
      });
      expect(reply).toMatchObject({ status: 200, body: '{"status":"ok"}' });
      expect(reply.hsts).toMatch(/max-age=\d+/);
      // Plain HTTP on the same port gets no answer.
      await expect(fetch(`http://127.0.0.1:${tls.ports.http}/healthz`)).rejects.toThrow();
    } finally {
      await tls.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(skipBrowser)('renders Swagger UI at /docs under the CSP without a violation', async () => {
    expect(CHROMIUM).toBeTruthy();
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      const violations: string[] = [];
      page.on('console', (m) => {
        if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
      });
      await page.goto(`${t.httpUrl}/docs/`);
      await page.locator('.swagger-ui .info .title').waitFor({ timeout: 30_000 });
      expect(await page.locator('.swagger-ui .info .title').textContent()).toContain('Linli gateway API');
      await page.locator('.opblock').first().waitFor({ timeout: 30_000 });
      expect(violations).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
