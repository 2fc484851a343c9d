/**
 * The one coded error type. Expected outcomes are values ({ ok: false, reason }); an AppError is for a request
 * that cannot be served, and it maps to an HTTP status in one place (api/errors.ts). Code branches on `code`,
 * never on message text.
 */
export const ERROR_CODES = {
  VALIDATION: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  /** Signed in with a one-time password: only changing it is allowed. */
  PASSWORD_CHANGE_REQUIRED: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  RATE_LIMITED: 429,
  NOT_READY: 503,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: unknown;
  /** Field errors, like a schema validation's (path as a JSON pointer: /unitId). */
  readonly issues: ReadonlyArray<{ path: string; message: string }> | undefined;

  constructor(code: ErrorCode, message: string, opts: { cause?: unknown; details?: unknown; issues?: ReadonlyArray<{ path: string; message: string }> } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = ERROR_CODES[code];
    this.details = opts.details;
    this.issues = opts.issues;
  }
}
