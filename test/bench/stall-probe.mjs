// A diagnostic preload for the bench's gateway: where does its event loop stand still, and why? Pass it with
//   BENCH_NODE_ARGS="--import ./test/bench/stall-probe.mjs" npm run bench -- alerts
// (BENCH_PROBE_OUT=<file> chooses where it writes; default /tmp/linli-probe-<pid>.json). It records, in the gateway:
// - every garbage collection (perf_hooks 'gc' entries): count, total and longest pause by kind, and those over 15 ms;
// - the event loop's delay (monitorEventLoopDelay, 10 ms resolution) and a 5 ms setInterval lag probe whose late ticks
//   (over 40 ms, BENCH_PROBE_STALL_MS) are listed with the collections that overlapped them and the CPU time the
//   process used meanwhile (little CPU: it was waiting for the disk or for a core, not working);
// - better-sqlite3 transactions over 15 ms (the function the gateway wrapped, by name);
// - the alarm path's stages, from the gateway's 'linli:alarm' diagnostics channel (gateway/src/runtime/alarm-trace.ts):
//   per alarm press, each stage's time after the press arrived, p50/p99 per stage.
// It writes one JSON summary when the gateway exits, plus a one-line-per-second timeline. Nothing here changes what
// the gateway does; its cost is the observers themselves (a few µs per collection, one timer tick per 5 ms).
import { subscribe } from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { PerformanceObserver, constants, monitorEventLoopDelay, performance } from 'node:perf_hooks';
import process from 'node:process';
import { setInterval } from 'node:timers';

const OUT = process.env.BENCH_PROBE_OUT ?? `/tmp/linli-probe-${process.pid}.json`;
const STALL_MS = Number(process.env.BENCH_PROBE_STALL_MS ?? 40);
const GC_MS = 15;
const SQL_MS = 15;
const KINDS = { [constants.NODE_PERFORMANCE_GC_MINOR]: 'scavenge', [constants.NODE_PERFORMANCE_GC_MAJOR]: 'mark-compact', [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental', [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak-callbacks' };

const gc = {};
const gcLong = [];
const recentGc = [];
const timeline = [];
let second = { t: 0, scavenges: 0, scavengeMs: 0, majorMs: 0, maxLagMs: 0 };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = KINDS[e.detail?.kind] ?? String(e.detail?.kind);
    const g = (gc[kind] ??= { count: 0, totalMs: 0, maxMs: 0, over15: 0 });
    g.count++;
    g.totalMs += e.duration;
    g.maxMs = Math.max(g.maxMs, e.duration);
    if (e.duration > GC_MS) {
      g.over15++;
      if (gcLong.length < 2000) gcLong.push({ at: Math.round(e.startTime), kind, ms: Math.round(e.duration * 10) / 10 });
    }
    if (kind === 'scavenge') {
      second.scavenges++;
      second.scavengeMs += e.duration;
    } else second.majorMs += e.duration;
    recentGc.push({ start: e.startTime, end: e.startTime + e.duration, kind });
    if (recentGc.length > 200) recentGc.shift();
  }
}).observe({ entryTypes: ['gc'] });

const eld = monitorEventLoopDelay({ resolution: 10 });
eld.enable();

const stalls = [];
const TICK = 5;
let last = performance.now();
let lastCpu = process.cpuUsage();
setInterval(() => {
  const now = performance.now();
  const lag = now - last - TICK;
  last = now;
  // The process's CPU time over the same interval (every thread: the event loop, V8's GC helpers, libuv's pool): a
  // stall with little CPU was the process waiting (for the disk, or for a core another process held), not working.
  const cpu = process.cpuUsage(lastCpu);
  lastCpu = process.cpuUsage();
  second.maxLagMs = Math.max(second.maxLagMs, lag);
  if (lag > STALL_MS && stalls.length < 2000) {
    const from = now - lag;
    const during = recentGc.filter((g) => g.end > from && g.start < now);
    const gcMs = during.reduce((s, g) => s + Math.min(g.end, now) - Math.max(g.start, from), 0);
    stalls.push({ at: Math.round(from), lagMs: Math.round(lag), cpuMs: Math.round((cpu.user + cpu.system) / 1000), gcMs: Math.round(gcMs), gc: during.map((g) => g.kind).join(',') });
  }
}, TICK).unref();
setInterval(() => {
  timeline.push({ ...second, t: Math.round(performance.now() / 1000), scavengeMs: Math.round(second.scavengeMs), majorMs: Math.round(second.majorMs), maxLagMs: Math.round(second.maxLagMs) });
  second = { t: 0, scavenges: 0, scavengeMs: 0, majorMs: 0, maxLagMs: 0 };
}, 1000).unref();

// better-sqlite3 transactions: the gateway's commits (ingest, access events, alert writes) all go through one.
const sqlLong = [];
const sqlByName = {};
try {
  const Database = createRequire(`${process.cwd()}/package.json`)('better-sqlite3');
  const transaction = Database.prototype.transaction;
  Database.prototype.transaction = function (fn) {
    const tx = transaction.call(this, fn);
    // Named by the function, or by where the gateway created the transaction (once, at creation).
    const site = /\n\s+at (?:.*?\()?(.*?:\d+):\d+\)?\n/.exec(new Error().stack.split('\n').slice(2).join('\n') + '\n')?.[1] ?? '?';
    const name = fn.name || site.replace(/^.*\//, '');
    const timed = function (...args) {
      const t0 = performance.now();
      try {
        return tx.apply(this, args);
      } finally {
        const ms = performance.now() - t0;
        // A group commit's batch is its first argument: one or two items is the alarm lane (or a quiet moment).
        const key = Array.isArray(args[0]) ? `${name} ${args[0].length <= 2 ? 'batch ≤ 2' : 'batch > 2'}` : name;
        const s = (sqlByName[key] ??= { count: 0, totalMs: 0, maxMs: 0, over15: 0, p99: [] });
        if (s.p99.length < 20000) s.p99.push(ms);
        s.count++;
        s.totalMs += ms;
        s.maxMs = Math.max(s.maxMs, ms);
        if (ms > SQL_MS) {
          s.over15++;
          if (sqlLong.length < 2000) sqlLong.push({ at: Math.round(t0), name, ms: Math.round(ms * 10) / 10 });
        }
      }
    };
    for (const k of ['deferred', 'immediate', 'exclusive']) timed[k] = tx[k];
    return timed;
  };
} catch {
  // Not the gateway (no better-sqlite3 here): the rest still applies.
}

// The alarm path's stages, keyed by device (an alarm button has one press in flight in the bench).
const alarms = new Map();
const stageSamples = {};
subscribe('linli:alarm', (m) => {
  const now = performance.now();
  if (m.stage === 'received') {
    alarms.set(m.deviceId, now);
    return;
  }
  const t0 = alarms.get(m.deviceId);
  if (t0 === undefined) return;
  (stageSamples[m.stage] ??= []).push(now - t0);
  if (m.stage === 'frame') alarms.delete(m.deviceId);
});

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? null : Math.round(s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] * 100) / 100;
};

process.once('exit', () => {
  const round = (o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, { ...v, totalMs: Math.round(v.totalMs), maxMs: Math.round(v.maxMs * 10) / 10, ...(v.p99 ? { p50: pct(v.p99, 50), p99: pct(v.p99, 99) } : {}) }]));
  const stages = Object.fromEntries(Object.entries(stageSamples).map(([k, xs]) => [k, { n: xs.length, p50: pct(xs, 50), p90: pct(xs, 90), p99: pct(xs, 99), max: pct(xs, 100) }]));
  const ms = (ns) => Math.round(ns / 1e4) / 100;
  const summary = {
    pid: process.pid,
    uptimeS: Math.round(performance.now() / 1000),
    eventLoopDelayMs: { p50: ms(eld.percentile(50)), p99: ms(eld.percentile(99)), max: ms(eld.max) },
    stalls: {
      over: STALL_MS,
      count: stalls.length,
      withGcOver50pct: stalls.filter((s) => s.gcMs * 2 > s.lagMs).length,
      withCpuUnder50pct: stalls.filter((s) => s.cpuMs * 2 < s.lagMs).length,
      list: stalls,
    },
    gc: round(gc),
    gcLong,
    sqlite: round(sqlByName),
    sqliteLong: sqlLong,
    alarmStagesMsAfterReceived: stages,
    timeline,
  };
  writeFileSync(OUT, JSON.stringify(summary, null, 1));
});
