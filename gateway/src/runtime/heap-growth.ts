import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets its old generation grow past what the last full collection found live, before it collects again.
 *
 * Left to itself, V8 picks a factor between 1.1 and 4 from how fast the program allocates against how fast it
 * collects, up to 4 when the machine has memory to spare (a 24 GB host gets a 4 GB heap limit). A reconnect storm is
 * exactly that case: 10,000 logins allocate fast, the live heap grows from ~50 to ~150 MB, and with a factor near 4
 * the next full collection is only due at ~300 MB, so the storm's garbage piles up until then and the RSS peaks at
 * 370–500 MB (docs/benchmarks.md, "Storm memory"). With a fixed factor of 1 + percent/100 V8 collects each time the
 * old generation has grown by that share: more full collections during a burst (each mostly concurrent, on V8's
 * helper thread), a heap that follows what is live.
 *
 * `--heap-growing-percent` is read each time V8 sets the next limit (after every full collection), so setting it here,
 * before the gateway builds anything, applies to every way the gateway is started (npm start, the systemd unit, the
 * image, the demo, the benchmarks) without a flag on each command line. 0 leaves V8's own choice.
 */
export function applyHeapGrowth(percent: number): void {
  if (percent > 0) setFlagsFromString(`--heap-growing-percent=${percent}`);
}
