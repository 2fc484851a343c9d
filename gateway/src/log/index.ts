import pino, { type Logger } from 'pino';

export type { Logger };

/** Secrets, PINs, pass codes and phone numbers never reach a log line (STYLE.md). */
export const REDACT_PATHS = [
  'password',
  '*.password',
  'secret',
  '*.secret',
  'pin',
  '*.pin',
  'code',
  '*.code',
  'phone',
  '*.phone',
  'credential.value',
  '*.credential.value',
  'req.headers.authorization',
  'req.headers.cookie',
];

export function createLogger(opts: { level: string; name?: string }): Logger {
  return pino({
    name: opts.name ?? 'linli',
    level: opts.level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  });
}
