import { useEffect, useState } from 'preact/hooks';

/** The current time, re-rendering every `ms` (countdowns, "2 minutes ago"). */
export function useNow(ms = 1_000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

export type Loaded<T> = { state: 'loading' } | { state: 'ok'; value: T } | { state: 'error'; message: string };

/**
 * Loads `fn` when `key` changes and again every `everyMs` (if given). Keeps showing the last good value while
 * reloading, so a polled map never flickers.
 */
export function useLoad<T>(fn: () => Promise<T>, key: string, everyMs?: number): [Loaded<T>, () => void] {
  const [value, setValue] = useState<Loaded<T>>({ state: 'loading' });
  const [nonce, setNonce] = useState(0);
  useEffect(() => {
    let alive = true;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const run = () => {
      fn().then(
        (v) => alive && setValue({ state: 'ok', value: v }),
        (err: unknown) => alive && setValue((prev) => (prev.state === 'ok' ? prev : { state: 'error', message: err instanceof Error ? err.message : String(err) })),
      ).finally(() => {
        if (alive && everyMs !== undefined) timer = setTimeout(run, everyMs);
      });
    };
    run();
    return () => {
      alive = false;
      if (timer) clearTimeout(timer);
    };
    // fn changes every render; key says when to reload.
  }, [key, nonce, everyMs]);
  return [value, () => setNonce((n) => n + 1)];
}
