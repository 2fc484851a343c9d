import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

/**
 * One Content-Security-Policy for every reply: the guard station (admin-ui) and Swagger UI at /docs both load only
 * their own scripts and talk only to this gateway. Inline styles are allowed (both set style attributes); inline
 * scripts are not. `frame-ancestors 'none'`: no page may frame the guard station (clickjacking a reset button).
 */
export const CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  scriptSrcAttr: ["'none'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  // Not upgrade-insecure-requests: a gateway served over plain HTTP on the guard-room LAN must still load its assets.
  upgradeInsecureRequests: null,
};

/**
 * Security headers through @fastify/helmet (the Fastify port of helmet, which tracks browsers' header semantics):
 * CSP above, nosniff, no Referer (a URL is never worth leaking), HSTS only when the gateway itself speaks TLS.
 */
export async function registerSecurityHeaders(app: FastifyInstance, opts: { tls: boolean }) {
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: opts.tls ? { maxAge: 15_552_000, includeSubDomains: false } : false,
    // The guard station opens nothing cross-origin; the default COEP would only break future embeds of data: images.
    crossOriginEmbedderPolicy: false,
  });
}
