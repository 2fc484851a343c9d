import type { DeviceKind } from '@linli/gateway/contracts';
import type { Clock } from './clock';
import { type CommunityRates, DEFAULT_RATES, type Passage, type Profile, isNight, profileOf, residentDay, visitorArrivals } from './community-routines';
import { AlarmButton, type AnyDevice, type DeviceRoster, FaceTerminal, type RosterTotals, Streetlight, VehicleGate, granted } from './devices';
import type { AccessOutcome } from './devices';
import { type Log, silentLog } from './log';
import { type Population, type SimResident, unitDoorOf } from './population';
import type { Random } from '@linli/gateway/random';
import { DAY, HOUR, duskDawn, formatTs, localMidnight } from './time';

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

const LAMP_FAULTS = [['lamp_failure', 6], ['driver_failure', 2], ['under_voltage', 1], ['leakage', 0.5], ['over_voltage', 0.5]] as const;
const TAMPER_KINDS = ['case_open', 'camera_blocked', 'moved', 'wire_cut'] as const;

/**
 * Brings the whole community to life on one clock. Each local midnight plans the next day for every resident, lamp
 * and alarm from a stream named by (day, actor), and puts the plan on the clock's single agenda; replies from the
 * gateway decide whether a door opens, never what happens next, so the plan is a function of the seed.
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

  const at = (t: number, what: string, fn: () => Promise<unknown>): void => {
    if (t < startMs || t >= endMs) return;
    clock.at(t, () => {
      fn().catch((err: unknown) => {
        counts.actionErrors++;
        log.error({ err: err instanceof Error ? err.message : String(err), what }, 'community action failed');
      });
    });
  };
  const of = <T extends AnyDevice>(cls: abstract new (...a: never[]) => T, id: string | undefined): T | undefined => {
    const d = id === undefined ? undefined : devices.get(id);
    return d instanceof cls ? d : undefined;
  };
  const started = (kind: DeviceKind): AnyDevice[] => [...devices.values()].filter((d) => d.kind === kind);

  const mainGate = of(FaceTerminal, roster.specs({ kind: 'face_terminal', placeKind: 'main_gate' })[0]?.id);
  const vehicleGate = of(VehicleGate, roster.specs({ kind: 'vehicle_gate' })[0]?.id);
  const unitDoorIds = roster.specs({ kind: 'face_terminal', placeKind: 'unit_door' }).map((s) => s.id);
  const unitDoor = (label: string): FaceTerminal | undefined => of(FaceTerminal, unitDoorOf(label, unitDoorIds));
  const labels = [...population.households.keys()].sort();
  const profiles = new Map<string, Profile>(population.residents.map((r) => [r.id, profileOf(random.fork(`profile:${r.id}`), rates)]));

  const tally = (o: AccessOutcome): boolean => {
    if (granted(o)) counts.granted++;
    else if (o.ok) counts.denied++;
    else counts.noReply++;
    return granted(o);
  };

  async function pass(r: SimResident, p: Passage, confidence: number): Promise<void> {
    const door = unitDoor(r.householdLabel);
    if (p.holdMs.some((h) => h > 60_000)) counts.heldOpen++;
    const useCar = p.byCar && r.plate !== null && vehicleGate !== undefined;
    if (p.direction === 'out') {
      counts.exits++;
      // Leaving a unit needs no credential: the exit button inside.
      await door?.openFor(p.holdMs[1], 'exit_button');
      await clock.sleep(p.walkMs);
      if (useCar && r.plate !== null) {
        counts.drives++;
        tally(await vehicleGate.drive(r.plate, 'out', confidence));
      } else if (mainGate && !tally(await mainGate.walkThrough(p.credential, 'out', { holdMs: p.holdMs[0] }))) {
        await mainGate.openFor(p.holdMs[0], 'exit_button');
      }
      return;
    }
    counts.entries++;
    if (useCar && r.plate !== null) {
      counts.drives++;
      tally(await vehicleGate.drive(r.plate, 'in', confidence));
    } else if (mainGate) {
      tally(await mainGate.walkThrough(p.credential, 'in', { holdMs: p.holdMs[0] }));
    }
    // Whatever the gate said (a guard may have let them in), the resident walks on to their unit door.
    await clock.sleep(p.walkMs);
    if (door) tally(await door.walkThrough(p.credential, 'in', { holdMs: p.holdMs[1] }));
  }

  function planDay(dayStart: number): void {
    const date = formatTs(dayStart).slice(0, 10);
    const weekday = new Date(`${date}T12:00:00+08:00`).getUTCDay();
    const weekend = weekday === 0 || weekday === 6;

    for (const r of population.residents) {
      const rng = random.fork(`day:${date}:resident:${r.id}`);
      for (const p of residentDay(r, profiles.get(r.id) ?? 'homebody', dayStart, weekend, rng, rates)) {
        const confidence = rng.between(0.86, 0.995);
        at(p.atMs, `resident ${p.direction}`, () => pass(r, p, confidence));
      }
    }

    const vrng = random.fork(`day:${date}:visitors`);
    for (const t of visitorArrivals(labels.length, dayStart, vrng, rates)) {
      const label = labels.length > 0 ? vrng.pick(labels) : '';
      // A visitor without a pass shows a QR code the gateway will not know: visitors must be authorised in advance.
      const qr = { type: 'qr' as const, value: `VIS-${vrng.hex(12)}` };
      const walkMs = vrng.between(1, 4) * 60_000;
      at(t, 'visitor', async () => {
        counts.visitors++;
        if (!mainGate || !tally(await mainGate.walkThrough(qr, 'in'))) return;
        await clock.sleep(walkMs);
        const door = unitDoor(label);
        if (door) tally(await door.walkThrough(qr, 'in'));
      });
    }

    const { dusk, dawn } = duskDawn(dayStart + 12 * HOUR);
    for (const lamp of started('streetlight')) {
      const lrng = random.fork(`day:${date}:lamp:${lamp.id}`);
      // A photocell switches within a few minutes of the others, not in lock-step.
      const offAt = dayStart + (dawn + lrng.normal(0, 0.07)) * HOUR;
      const onAt = dayStart + (dusk + lrng.normal(0, 0.07)) * HOUR;
      const fails = lrng.chance(rates.lampFailurePerNight);
      const failAt = dayStart + lrng.between(dusk + 0.5, 24 + dawn - 0.5) * HOUR;
      const fault = lrng.weighted(LAMP_FAULTS);
      const repairAt = dayStart + DAY + lrng.between(10, 16) * HOUR;
      if (!(lamp instanceof Streetlight)) continue;
      at(offAt, 'lamp off', async () => (counts.lampsOff++, lamp.setLight(false)));
      at(onAt, 'lamp on', async () => (counts.lampsOn++, lamp.setLight(true, 100)));
      if (fails) {
        at(failAt, 'lamp fault', async () => (counts.lampFailures++, lamp.fail(fault)));
        at(repairAt, 'lamp repair', async () => (counts.lampRepairs++, lamp.repair()));
      }
    }

    for (const alarm of [...started('indoor_alarm'), ...started('outdoor_alarm')]) {
      const arng = random.fork(`day:${date}:alarm:${alarm.id}`);
      const p = alarm.kind === 'indoor_alarm' ? rates.indoorAlarmPerDay : rates.outdoorAlarmPerDay;
      const presses = arng.chance(p);
      const pressAt = dayStart + arng.between(0, 24) * HOUR;
      const cancels = arng.chance(rates.alarmCancelShare);
      const cancelAfter = arng.between(20, 60) * 1000;
      const low = arng.chance(rates.lowBatteryPerDay);
      const lowAt = dayStart + arng.between(0, 24) * HOUR;
      const pct = arng.int(5, 19);
      if (!(alarm instanceof AlarmButton)) continue;
      if (presses) {
        at(pressAt, 'alarm press', async () => (counts.alarms++, alarm.press()));
        if (cancels) at(pressAt + cancelAfter, 'alarm cancel', async () => (counts.cancels++, alarm.cancel()));
      }
      if (low) at(lowAt, 'low battery', async () => (counts.lowBattery++, alarm.lowBattery(pct)));
    }

    for (const d of devices.values()) {
      const trng = random.fork(`day:${date}:tamper:${d.id}`);
      if (!trng.chance(rates.tamperPerDay)) continue;
      const kind = trng.pick(TAMPER_KINDS);
      at(dayStart + trng.between(0, 24) * HOUR, 'tamper', async () => (counts.tamper++, d.publish('tamper', { kind })));
    }

    for (const id of unitDoorIds) {
      const frng = random.fork(`day:${date}:forced:${id}`);
      const door = of(FaceTerminal, id);
      if (!frng.chance(rates.forcedPerDoorPerNight) || !door) continue;
      const holdMs = frng.between(30, 90) * 1000;
      at(dayStart + frng.between(0.5, 4.5) * HOUR, 'forced door', async () => (counts.forced++, door.openFor(holdMs, 'unknown')));
    }

    if (dayStart + DAY < endMs) clock.at(dayStart + DAY, () => planDay(dayStart + DAY));
  }

  // The lamps' state at start-up: a controller reports on boot, lit if it is already dark.
  const first = duskDawn(startMs);
  for (const lamp of started('streetlight')) {
    if (lamp instanceof Streetlight) at(startMs, 'lamp boot', () => lamp.setLight(isNight(startMs, first.dusk, first.dawn), 100));
  }
  if (opts.heartbeats !== false) {
    for (const d of devices.values()) {
      const every = HEARTBEAT_REAL_SEC[d.kind] * 1000 * clock.speed;
      const beat = (t: number): void => at(t, 'heartbeat', async () => {
        counts.heartbeats++;
        beat(t + every);
        return d.heartbeat();
      });
      beat(startMs + random.fork(`heartbeat:${d.id}`).between(0, every));
    }
  }
  planDay(localMidnight(startMs));

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
