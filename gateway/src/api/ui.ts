import { statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors';
import type { Logger } from '../log';

/**
 * The guard station's static files at `/` (admin-ui/dist, built by `npm run build:ui`). Every API route keeps
 * priority (a more specific route always wins over `/*`); an unknown path under /api/ stays a JSON 404; any other
 * path without a file is the single-page app's own route and gets index.html.
 */
export function uiRoutes(dir: string, log: Logger) {
  return async (app: FastifyInstance) => {
    if (dir === '') return;
    const root = resolve(dir);
    if (!statSync(join(root, 'index.html'), { throwIfNoEntry: false })?.isFile()) {
      log.info({ root }, 'no built guard station UI here: serving the API only (npm run build:ui)');
      return;
    }
    await app.register(fastifyStatic, { root, serve: false });

    const page = { 'cache-control': 'no-cache', ...SECURITY_HEADERS };
    app.get('/*', { schema: { hide: true } }, async (req, reply) => {
      const path = req.url.split('?')[0] ?? '/';
      if (path === '/api' || path.startsWith('/api/')) throw new AppError('NOT_FOUND', `no route GET ${path}`);
      let rel: string;
      try {
        rel = decodeURIComponent(path).replace(/^\/+/, '');
      } catch {
        throw new AppError('NOT_FOUND', 'no such file');
      }
      const abs = resolve(root, rel);
      if (rel !== '' && abs.startsWith(root + sep) && statSync(abs, { throwIfNoEntry: false })?.isFile()) {
        // Vite names built assets by their content hash: they never change under one name.
        const cache = rel.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
        return reply.headers({ 'cache-control': cache, 'x-content-type-options': 'nosniff' }).sendFile(rel, { cacheControl: false, dotfiles: 'deny' });
      }
      // A missing file (/favicon.ico, a stale asset) is a 404, not the app.
      if (/\.[a-z0-9]{1,8}$/i.test(rel)) throw new AppError('NOT_FOUND', 'no such file');
      return reply.headers(page).sendFile('index.html', { cacheControl: false });
    });
    log.info({ root }, 'serving the guard station UI at /');
  };
}

/**
 * The app loads only its own files and talks only to this gateway. `no-referrer`: the live stream's URL carries
 * a single-use ticket (EventSource cannot send headers); spent or not, no URL needs to leak through a Referer.
 */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};
