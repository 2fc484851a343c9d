/**
 * Simulated time. Sim time = start + (real time elapsed × speed), so a day of community life can run in 24 minutes
 * (speed 60). Everything the simulator does later goes through one agenda per clock, armed with a single real timer
 * for the earliest entry, so ten thousand residents cost ten thousand heap entries, not ten thousand timers.
 *
 * Two clocks share the interface: AcceleratedClock follows real time, ManualClock moves only when told to (tests,
 * dry runs), which is what makes a scenario's emitted plan reproducible.
 */
import { Agenda, type Cancel } from './agenda';

export type { Cancel } from './agenda';

export interface Clock {
  /** Sim milliseconds per real millisecond. Network deadlines (reply timeouts, heartbeats) are real: × speed. */
  readonly speed: number;
  nowMs(): number;
  now(): Date;
  /** Runs `fn` at sim time `atMs` (at once if that is past), after everything already due at that time. */
  at(atMs: number, fn: () => void): Cancel;
  after(simMs: number, fn: () => void): Cancel;
  sleep(simMs: number): Promise<void>;
  /** Drops every pending entry; the clock can still be read. */
  stop(): void;
  /**
   * Sim time continues from `simMs` as of now. Connecting a whole community takes real seconds, which at ×600
   * would otherwise eat the first sim minutes; the run re-anchors to its intended start once everything is up.
   */
  anchor(simMs: number): void;
}

export interface RealTime {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const systemTime: RealTime = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

// setTimeout's largest delay; a longer wait is re-armed when it fires.
const MAX_TIMER_MS = 2 ** 31 - 1;

export class AcceleratedClock implements Clock {
  readonly speed: number;
  private startMs: number;
  private realStart: number;
  private readonly real: RealTime;
  private readonly agenda = new Agenda();
  private timer: unknown = undefined;
  private armedFor = Infinity;

  constructor(opts: { start?: Date | number; speed?: number; real?: RealTime } = {}) {
    this.speed = opts.speed ?? 1;
    if (!(this.speed > 0) || !Number.isFinite(this.speed)) throw new RangeError(`speed must be a positive number, got ${this.speed}`);
    this.real = opts.real ?? systemTime;
    this.startMs = typeof opts.start === 'number' ? opts.start : (opts.start ?? new Date()).getTime();
    this.realStart = this.real.now();
  }

  nowMs(): number {
    return this.startMs + (this.real.now() - this.realStart) * this.speed;
  }

  now(): Date {
    return new Date(this.nowMs());
  }

  at(atMs: number, fn: () => void): Cancel {
    const cancel = this.agenda.push(atMs, fn);
    if (atMs < this.armedFor) this.arm();
    return cancel;
  }

  after(simMs: number, fn: () => void): Cancel {
    return this.at(this.nowMs() + simMs, fn);
  }

  sleep(simMs: number): Promise<void> {
    return new Promise((resolve) => this.after(simMs, resolve));
  }

  stop(): void {
    this.agenda.clear();
    this.disarm();
  }

  get pending(): number {
    return this.agenda.size;
  }

  anchor(simMs: number): void {
    this.startMs = simMs;
    this.realStart = this.real.now();
    this.arm();
  }

  private disarm(): void {
    if (this.timer !== undefined) this.real.clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Infinity;
  }

  private arm(): void {
    this.disarm();
    const next = this.agenda.peek();
    if (next === undefined) return;
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, (next - this.nowMs()) / this.speed));
    this.armedFor = next;
    this.timer = this.real.setTimeout(() => this.fire(), delay);
  }

  private fire(): void {
    this.timer = undefined;
    this.armedFor = Infinity;
    const now = this.nowMs();
    for (let fn = this.agenda.popDue(now); fn; fn = this.agenda.popDue(now)) fn();
    this.arm();
  }
}

/**
 * Time that moves only when advanced. Between two entries it lets the event loop drain (setImmediate), so async
 * continuations of one step (a publish resolving, a reply timing out) schedule their follow-ups before the next
 * step runs: the order of emitted messages is a function of the seed alone.
 */
export class ManualClock implements Clock {
  readonly speed: number;
  private current: number;
  private readonly agenda = new Agenda();

  constructor(opts: { start?: Date | number; speed?: number } = {}) {
    this.speed = opts.speed ?? 1;
    this.current = typeof opts.start === 'number' ? opts.start : (opts.start ?? new Date(0)).getTime();
  }

  nowMs(): number {
    return this.current;
  }

  now(): Date {
    return new Date(this.current);
  }

  at(atMs: number, fn: () => void): Cancel {
    return this.agenda.push(Math.max(atMs, this.current), fn);
  }

  after(simMs: number, fn: () => void): Cancel {
    return this.at(this.current + simMs, fn);
  }

  sleep(simMs: number): Promise<void> {
    return new Promise((resolve) => this.after(simMs, resolve));
  }

  stop(): void {
    this.agenda.clear();
  }

  get pending(): number {
    return this.agenda.size;
  }

  anchor(simMs: number): void {
    this.current = simMs;
  }

  /** Sim time of the next entry, if any. */
  nextAt(): number | undefined {
    return this.agenda.peek();
  }

  /** Runs every entry due up to `targetMs` in order, then leaves the clock at `targetMs`. */
  async runUntil(targetMs: number): Promise<void> {
    await drain();
    for (;;) {
      const next = this.agenda.peek();
      if (next === undefined || next > targetMs) break;
      this.current = Math.max(this.current, next);
      this.agenda.popDue(this.current)?.();
      await drain();
    }
    this.current = Math.max(this.current, targetMs);
  }

  advance(simMs: number): Promise<void> {
    return this.runUntil(this.current + simMs);
  }

  /** Runs until nothing is scheduled, or until `limitMs` of sim time has passed (heartbeats never end). */
  async runUntilIdle(limitMs = 7 * 86_400_000): Promise<void> {
    const end = this.current + limitMs;
    await drain();
    for (let next = this.agenda.peek(); next !== undefined && next <= end; next = this.agenda.peek()) {
      this.current = Math.max(this.current, next);
      this.agenda.popDue(this.current)?.();
      await drain();
    }
  }
}

const drain = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
