import { createHmac, randomBytes } from 'node:crypto';

/** Query parameters whose value is a secret by name. */
const SECRET_PARAM = /token|ticket|pass|secret|pin|code|key|auth|sig|session|phone|credential/i;
/** A value that looks like a random secret whatever its name: 20+ characters of base64url or hex, no spaces. */
const SECRET_VALUE = /^[A-Za-z0-9_\-+/=.~%]{20,}$/;

/**
 * A URL as it may be logged: the path as is, every query value that is secret by name or by shape replaced by
 * `[redacted]`. Unparseable query strings are dropped whole rather than logged.
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const path = url.slice(0, q);
  const parts = url.slice(q + 1).split('&').map((pair) => {
    const eq = pair.indexOf('=');
    if (eq < 0) return SECRET_VALUE.test(pair) ? '[redacted]' : pair;
    const name = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    return SECRET_PARAM.test(name) || SECRET_VALUE.test(value) ? `${name}=[redacted]` : pair;
  });
  return `${path}?${parts.join('&')}`;
}

// Per process: fingerprints correlate attempts within one run, and a short unkeyed hash of a low-entropy password
// would be a dictionary lookup away from the password itself.
const fingerprintKey = randomBytes(32);

/**
 * What may be logged of a value that might be a secret (a user-name field holding a mistyped password): its length
 * and a keyed digest, enough to see the same value tried again, nothing to recover it from.
 */
export function fingerprint(value: string): string {
  return `[len ${value.length} hmac:${createHmac('sha256', fingerprintKey).update(value).digest('hex').slice(0, 12)}]`;
}
