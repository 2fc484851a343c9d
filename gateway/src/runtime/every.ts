/**
 * A background loop: runs `pass` at once, then again `everyMs` after each pass ends, until `stop()`. A pass handles
 * its own errors (each caller logs a failure once per run of failures); one that throws anyway is not retried sooner.
 * `wake()` cuts the current wait short (new work is waiting); `stop()` does too, and resolves once the pass under way
 * has finished. Used by the hub's cell watch, escalation and notifications, and the cell's liveness key.
 */
export function every(everyMs: number, pass: () => Promise<void>): { wake(): void; stop(): Promise<void> } {
  let running = true;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let wake: (() => void) | null = null;
  // Woken while a pass runs: the next pass starts without waiting (the new work may have come too late for this one).
  let woken = false;
  const loop = (async () => {
    while (running) {
      woken = false;
      await pass().catch(() => undefined);
      if (!running || woken) continue;
      await new Promise<void>((resolve) => {
        timer = setTimeout(resolve, everyMs);
        wake = () => {
          if (timer) clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
    }
  })();
  return {
    wake() {
      if (wake) wake();
      else woken = true;
    },
    async stop() {
      running = false;
      if (timer) clearTimeout(timer);
      wake?.();
      await loop;
    },
  };
}
