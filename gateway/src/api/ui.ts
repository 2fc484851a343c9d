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
/** Whether a path names a regular file; any odd path (too long, through a file, NUL) is simply not one. */
function isFile(abs: string): boolean {
  try {
    return statSync(abs, { throwIfNoEntry: false })?.isFile() === true;
  } catch {
    return false;
  }
}

export function uiRoutes(dir: string, log: Logger) {
  return async (app: FastifyInstance) => {
    if (dir === '') return;
    const root = resolve(dir);
    if (!statSync(join(root, 'index.html'), { throwIfNoEntry: false })?.isFile()) {
      log.info({ root }, 'no built guard station UI here: serving the API only (npm run build:ui)');
      return;
    }
    await app.register(fastifyStatic, { root, serve: false });

    // Security headers (CSP, nosniff, no Referer) come from api/headers.ts for every reply.
    const page = { 'cache-control': 'no-cache' };
    app.get('/*', { schema: { hide: true } }, async (req, reply) => {
      const path = req.url.split('?')[0] ?? '/';
      if (path === '/api' || path.startsWith('/api/')) throw new AppError('NOT_FOUND', `no route GET ${path}`);
      let rel: string;
      try {
        rel = decodeURIComponent(path).replace(/^\/+/, '');
      } catch {
        throw new AppError('NOT_FOUND', 'no such file');
      }
      // A NUL cannot be in a file name (the file system API throws on it): /index.html%00.js is simply not a file.
      if (rel.includes('\0')) throw new AppError('NOT_FOUND', 'no such file');
      const abs = resolve(root, rel);
      if (rel !== '' && abs.startsWith(root + sep) && isFile(abs)) {
        // Vite names built assets by their content hash: they never change under one name.
        const cache = rel.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
        return reply.header('cache-control', cache).sendFile(rel, { cacheControl: false, dotfiles: 'deny' });
      }
      // A missing file (/favicon.ico, a stale asset) is a 404, not the app.
      if (/\.[a-z0-9]{1,8}$/i.test(rel)) throw new AppError('NOT_FOUND', 'no such file');
      // The resident phone app (/m, its own entry) has routes of its own under /m/.
      if ((rel === 'm' || rel.startsWith('m/')) && isFile(join(root, 'm', 'index.html'))) return reply.headers(page).sendFile('m/index.html', { cacheControl: false });
      return reply.headers(page).sendFile('index.html', { cacheControl: false });
    });
    log.info({ root }, 'serving the guard station UI at /');
  };
}
