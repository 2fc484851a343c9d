import { AcceleratedClock, type Clock, ManualClock } from './clock';
import { type BackoffPolicy, DeviceRoster, Recorder, mqttLinks } from './devices';
import { type Log, silentLog } from './log';
import type { Population } from './population';
import { Random } from '@linli/gateway/random';

export interface WorldOptions {
  population: Population;
  seed: number;
  /** Sim ms per real ms. */
  speed: number;
  /** Sim start (epoch ms). */
  startMs: number;
  /** Broker URL; ignored in a dry run. */
  url?: string;
  /** Record what would be published on a ManualClock instead of connecting: no broker, as fast as the CPU goes. */
  dryRun?: boolean;
  /** Pins the devices' boot nonce (event ids), for comparing two runs; random otherwise. */
  bootNonce?: string;
  replyTimeoutMs?: number;
  backoff?: BackoffPolicy;
  log?: Log;
}

/** Everything a scenario or the community needs, wired one of two ways: live (MQTT, real time) or recorded. */
export interface World {
  clock: Clock;
  random: Random;
  roster: DeviceRoster;
  /** The captured messages of a dry run; null when live. */
  recorder: Recorder | null;
  population: Population;
  log: Log;
  /** Awaits a task; on a ManualClock, moves time forward until the task is done. */
  drive<T>(task: Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export function createWorld(opts: WorldOptions): World {
  const random = new Random(opts.seed);
  const log = opts.log ?? silentLog;
  let clock: Clock;
  let recorder: Recorder | null = null;
  let drive: <T>(task: Promise<T>) => Promise<T> = (task) => task;
  const common = {
    random: random.fork('devices'),
    ...(opts.bootNonce !== undefined ? { bootNonce: opts.bootNonce } : {}),
    ...(opts.replyTimeoutMs !== undefined ? { replyTimeoutMs: opts.replyTimeoutMs } : {}),
  };
  let roster: DeviceRoster;
  if (opts.dryRun === true) {
    const manual = new ManualClock({ start: opts.startMs, speed: opts.speed });
    clock = manual;
    recorder = new Recorder(manual);
    roster = new DeviceRoster({ specs: opts.population.devices, link: recorder.factory, clock, ...common });
    drive = (task) => driveManual(manual, task);
  } else {
    if (opts.url === undefined) throw new Error('a live world needs a broker url');
    clock = new AcceleratedClock({ start: opts.startMs, speed: opts.speed });
    const link = mqttLinks({ url: opts.url, ...(opts.backoff ? { backoff: opts.backoff } : {}) });
    // Live: devices talk to a real gateway, whose clock is real; stamping sim time would read as clock drift.
    roster = new DeviceRoster({ specs: opts.population.devices, link, clock, ...common, wallClock: Date.now });
  }
  return {
    clock,
    random,
    roster,
    recorder,
    population: opts.population,
    log,
    drive,
    async close() {
      clock.stop();
      await roster.close();
    },
  };
}

/**
 * Runs a ManualClock until `task` settles. The task may be waiting on something that is not on the clock (a batch
 * pause, a settle), so when the agenda is empty the loop yields to real time briefly before giving up.
 */
export async function driveManual<T>(clock: ManualClock, task: Promise<T>): Promise<T> {
  let done = false;
  const settled = task.finally(() => {
    done = true;
  });
  let idleRounds = 0;
  while (!done) {
    if (clock.pending > 0) {
      idleRounds = 0;
      const next = clock.nextAt();
      if (next !== undefined) await clock.runUntil(next);
      continue;
    }
    if (++idleRounds > 2_000) throw new Error('dry run stalled: the task waits on something other than the clock');
    await new Promise((r) => setTimeout(r, 1));
  }
  return settled;
}
