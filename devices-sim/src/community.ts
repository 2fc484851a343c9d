import type { DeviceKind } from '@linli/gateway/contracts';
import type { Clock } from './clock';
import { type Stage, createStage, planDay } from './community-day';
import { type CommunityRates, DEFAULT_RATES, isNight } from './community-routines';
import { type AnyDevice, type DeviceRoster, type RosterTotals, Streetlight } from './devices';
import { type Log, silentLog } from './log';
import type { Population } from './population';
import type { Random } from '@linli/gateway/random';
import { duskDawn, formatTs, localMidnight } from './time';

/** Real seconds between heartbeats: a third of the gateway's supervision window per kind, so one loss is tolerated. */
export const HEARTBEAT_REAL_SEC: Record<DeviceKind, number> = {
  face_terminal: 30,
  vehicle_gate: 30,
  indoor_alarm: 20,
  outdoor_alarm: 20,
  streetlight: 300,
};

export interface CommunityOptions {
  population: Population;
  roster: DeviceRoster;
  clock: Clock;
  random: Random;
  /** Sim milliseconds to run. */
  durationMs: number;
  log?: Log;
  rates?: Partial<CommunityRates>;
  /** Heartbeats run on real time (× speed); tests of a simulated day leave them out. Default true. */
  heartbeats?: boolean;
  /** Devices connected per batch, and the real pause between batches (a compound does not boot in one SYN burst). */
  connectBatch?: number;
  connectPauseMs?: number;
  /** Ends the run early (Ctrl-C), with the report of what happened so far. */
  signal?: AbortSignal;
}

export interface CommunityCounts {
  entries: number;
  exits: number;
  drives: number;
  visitors: number;
  heldOpen: number;
  granted: number;
  denied: number;
  noReply: number;
  lampsOn: number;
  lampsOff: number;
  lampFailures: number;
  lampRepairs: number;
  alarms: number;
  cancels: number;
  lowBattery: number;
  tamper: number;
  forced: number;
  heartbeats: number;
  actionErrors: number;
}

export interface CommunityReport {
  simStart: string;
  simEnd: string;
  speed: number;
  devices: number;
  connectFailures: { id: string; reason: string }[];
  counts: CommunityCounts;
  totals: RosterTotals;
}

/**
 * Brings the whole community to life on one clock. Each local midnight plans the next day for every resident, lamp
 * and alarm from a stream named by (day, actor), and puts the plan on the clock's single agenda (community-day.ts);
 * replies from the gateway decide whether a door opens, never what happens next, so the plan is a function of the seed.
 */
export async function runCommunity(opts: CommunityOptions): Promise<CommunityReport> {
  const { population, roster, clock, random } = opts;
  const log = opts.log ?? silentLog;
  const rates: CommunityRates = { ...DEFAULT_RATES, ...opts.rates };
  const counts: CommunityCounts = {
    entries: 0, exits: 0, drives: 0, visitors: 0, heldOpen: 0, granted: 0, denied: 0, noReply: 0, lampsOn: 0, lampsOff: 0,
    lampFailures: 0, lampRepairs: 0, alarms: 0, cancels: 0, lowBattery: 0, tamper: 0, forced: 0, heartbeats: 0, actionErrors: 0,
  };

  const startMs = clock.nowMs();
  const { devices, failures } = await startAll(roster, opts.connectBatch ?? 50, opts.connectPauseMs ?? 100, log);
  clock.anchor(startMs);
  const endMs = startMs + opts.durationMs;
  const finished = new Promise<void>((resolve) => {
    clock.at(endMs, resolve);
    opts.signal?.addEventListener('abort', () => resolve(), { once: true });
  });
  const stage = createStage({ population, roster, clock, random, rates, log }, devices, counts, { startMs, endMs });

  bootLamps(stage, startMs);
  if (opts.heartbeats !== false) scheduleHeartbeats(stage, startMs);
  planDay(stage, localMidnight(startMs));

  log.info({ devices: devices.size, simStart: formatTs(startMs), simEnd: formatTs(endMs), speed: clock.speed }, 'community running');
  await finished;
  clock.stop();
  return {
    simStart: formatTs(startMs),
    simEnd: formatTs(Math.min(endMs, clock.nowMs())),
    speed: clock.speed,
    devices: devices.size,
    connectFailures: failures,
    counts,
    totals: roster.totals(),
  };
}

/** The lamps' state at start-up: a controller reports on boot, lit if it is already dark. */
function bootLamps(s: Stage, startMs: number): void {
  const first = duskDawn(startMs);
  for (const lamp of s.started('streetlight')) {
    if (lamp instanceof Streetlight) s.at(startMs, 'lamp boot', () => lamp.setLight(isNight(startMs, first.dusk, first.dawn), 100));
  }
}

/** Heartbeats on real time (× speed), each device from its own random phase so they do not arrive in one burst. */
function scheduleHeartbeats(s: Stage, startMs: number): void {
  for (const d of s.devices.values()) {
    const every = HEARTBEAT_REAL_SEC[d.kind] * 1000 * s.clock.speed;
    const beat = (t: number): void => s.at(t, 'heartbeat', async () => {
      s.counts.heartbeats++;
      beat(t + every);
      return d.heartbeat();
    });
    beat(startMs + s.random.fork(`heartbeat:${d.id}`).between(0, every));
  }
}

/** Connects every device in batches; failures are reported, not fatal (a community runs with a dead terminal). */
export async function startAll(
  roster: DeviceRoster,
  batch: number,
  pauseMs: number,
  log: Log,
): Promise<{ devices: Map<string, AnyDevice>; failures: { id: string; reason: string }[] }> {
  const specs = roster.specs();
  const results: (AnyDevice | string)[] = [];
  for (let i = 0; i < specs.length; i += batch) {
    if (i > 0 && pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
    const chunk = specs.slice(i, i + batch).map((s) => roster.get(s.id).catch((err: unknown) => (err instanceof Error ? err.message : String(err))));
    results.push(...(await Promise.all(chunk)));
  }
  // Spec order, not connection order: the plan iterates this map, and the plan must not depend on the network.
  const devices = new Map<string, AnyDevice>();
  const failures: { id: string; reason: string }[] = [];
  specs.forEach((s, i) => {
    const r = results[i];
    if (r === undefined) return;
    if (typeof r === 'string') failures.push({ id: s.id, reason: r });
    else devices.set(s.id, r);
  });
  if (failures.length > 0) log.warn({ failed: failures.length, first: failures[0] }, 'some devices could not connect');
  return { devices, failures };
}
