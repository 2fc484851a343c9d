import pino, { type DestinationStream, type Logger } from 'pino';
import { redactUrl } from './redact';

export type { Logger };
export { fingerprint, redactUrl } from './redact';

/**
 * Secrets, PINs, pass codes, tokens and phone numbers never reach a log line (docs/contributing.md). Field names only: error
 * codes (`code`: SQLITE_BUSY, ours) stay visible, so a pass code is never logged under the bare name `code`.
 */
export const REDACT_PATHS = [
  'password',
  '*.password',
  'secret',
  '*.secret',
  'pin',
  '*.pin',
  'passCode',
  '*.passCode',
  'token',
  '*.token',
  'ticket',
  '*.ticket',
  'phone',
  '*.phone',
  'credential.value',
  '*.credential.value',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
];

/** pino's own keys: a field with one of these names would be a second, contradicting key for any JSON parser. */
const RESERVED = ['level', 'time', 'msg'] as const;

/** Moves a reserved key aside (`level` → `field_level`) instead of letting it shadow pino's. */
function unshadow(obj: Record<string, unknown>): Record<string, unknown> {
  if (!RESERVED.some((k) => k in obj)) return obj;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) out[(RESERVED as readonly string[]).includes(k) ? `field_${k}` : k] = v;
  return out;
}

export function createLogger(opts: { level: string; name?: string; destination?: DestinationStream }): Logger {
  const options = {
    name: opts.name ?? 'linli',
    level: opts.level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    formatters: { log: unshadow },
    serializers: {
      // Fastify's request serializer with the query string's secrets masked (a URL may carry one whatever we do).
      req: (req: { method?: string; url?: string; host?: string; ip?: string; socket?: { remotePort?: number } }) => ({
        method: req.method,
        url: req.url === undefined ? undefined : redactUrl(req.url),
        host: req.host,
        remoteAddress: req.ip,
        remotePort: req.socket?.remotePort,
      }),
    },
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}
