import { ReadyReport } from '../contracts/api/ops';

export type WaitReadyResult = { ok: true; afterMs: number } | { ok: false; message: string };

/** The address a local probe reaches the HTTP server on: a wildcard bind is reached over loopback. */
export function probeHost(httpHost: string): string {
  if (httpHost === '0.0.0.0' || httpHost === '') return '127.0.0.1';
  if (httpHost === '::') return '[::1]';
  return httpHost.includes(':') ? `[${httpHost}]` : httpHost;
}

/**
 * Polls GET /readyz until it answers 200 `ready` or `timeoutMs` passes: systemd's ExecStartPost runs it
 * (`linli ready`), so the unit becomes active only once the database commits and the broker listens — what
 * Type=notify would give, without a native sd_notify binding (docs/operations.md).
 */
export async function waitReady(url: string, timeoutMs: number, intervalMs = 250): Promise<WaitReadyResult> {
  const started = Date.now();
  let last = 'no answer yet';
  while (Date.now() - started < timeoutMs) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(Math.min(5_000, timeoutMs)) });
      const body = ReadyReport.safeParse(await res.json().catch(() => null));
      if (res.status === 200 && body.success && body.data.status === 'ready') return { ok: true, afterMs: Date.now() - started };
      last = body.success ? `${res.status} ${JSON.stringify(body.data)}` : `${res.status}, not a readiness report`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return { ok: false, message: `${url} not ready after ${Math.round(timeoutMs / 1000)} s (last: ${last})` };
}
