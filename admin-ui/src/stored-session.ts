import type { z } from 'zod';
import { ErrorReply } from '@linli/gateway/contracts/api/auth';

/** A refusal from the server: its status, its error code and its message (the phone app's and the hub page's). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The reply's `details`, when it has any (what a client may put in its own words). */
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** The ApiError for a reply that is not ok, from its body when that is an ErrorReply. */
export function apiError(status: number, body: unknown): ApiError {
  const e = ErrorReply.safeParse(body);
  return new ApiError(status, e.success ? e.data.error : 'HTTP', e.success ? e.data.message : `HTTP ${status}`, e.success ? e.data.details : undefined);
}

/**
 * A sign-in kept in localStorage under `key` until it expires or is ended: read back through its own zod contract
 * (a stored value that does not parse, or has expired, counts as none), with listeners told of every change.
 */
export function storedSession<S extends z.ZodType<{ expiresAt: string }>>(key: string, schema: S) {
  type T = z.infer<S>;
  const load = (): T | null => {
    try {
      const parsed = schema.safeParse(JSON.parse(localStorage.getItem(key) ?? 'null'));
      return parsed.success && Date.parse(parsed.data.expiresAt) > Date.now() ? parsed.data : null;
    } catch {
      return null;
    }
  };
  let current: T | null = load();
  const listeners = new Set<() => void>();
  return {
    get: (): T | null => current,
    on(fn: () => void): () => void {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    set(s: T | null) {
      current = s;
      if (s) localStorage.setItem(key, JSON.stringify(s));
      else localStorage.removeItem(key);
      for (const fn of listeners) fn();
    },
  };
}
