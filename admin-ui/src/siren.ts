import { createStore } from './store';

export interface SirenState {
  /** An alarm needs the siren (an unacknowledged critical alert). */
  wanted: boolean;
  /** The oscillator is running and the audio context can be heard. */
  playing: boolean;
  /** Wanted but the browser has not allowed sound yet (no click since the page loaded). */
  blocked: boolean;
  /** Completed two-tone cycles since it started: proof that it repeats. */
  cycles: number;
  /** The browser allows sound (the audio context runs). Until then a bar over everything asks for one click. */
  unlocked: boolean;
  /** The live link is down: a low three-beep tone, unlike the siren, repeats until it is back. */
  linkTone: boolean;
  /** Link-down tones played (proof that it sounds). */
  linkBeeps: number;
}

declare global {
  interface Window {
    /** For tests and for a technician with the console open: what the siren is doing. */
    __linliSiren?: SirenState & { startedAt: number | null };
  }
}

const CYCLE_MS = 2_000;
/** The dead-link tone: three low beeps every four seconds, nothing like the siren's hi-lo. */
const LINK_TONE_MS = 4_000;
const LINK_TONE_HZ = 392;
/** Hi-lo like a Chinese police siren, loud in the mid range where older ears hear best. */
const TONES = [960, 770] as const;

/**
 * The alarm sound, generated with the Web Audio API (no audio files): a two-tone siren that repeats every two
 * seconds for as long as it is wanted. Browsers only allow sound after a user gesture, so the login click (or any
 * click or key) unlocks it; until then the screen says the sound is off.
 */
class Siren {
  readonly state = createStore<SirenState>({ wanted: false, playing: false, blocked: false, cycles: 0, unlocked: false, linkTone: false, linkBeeps: 0 });
  private linkTimer: ReturnType<typeof setInterval> | null = null;
  private ctx: AudioContext | null = null;
  private osc: OscillatorNode | null = null;
  private gain: GainNode | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private startedAt: number | null = null;

  constructor() {
    // Created at once (suspended until a gesture where the browser asks for one), so the screen knows from the start
    // whether sound is possible, not only when the first alarm finds out.
    this.context();
    this.publish();
  }

  /**
   * The live link is down (or up again): while down, a low beep-beep-beep every four seconds. A guard who hears it
   * knows alarms cannot arrive, even with the screen out of sight.
   */
  setLinkDown(down: boolean): void {
    if (down === this.state.get().linkTone) return;
    this.state.set((s) => ({ ...s, linkTone: down }));
    if (this.linkTimer) clearInterval(this.linkTimer);
    this.linkTimer = null;
    if (down) {
      this.beeps();
      this.linkTimer = setInterval(() => this.beeps(), LINK_TONE_MS);
    }
    this.publish();
  }

  private beeps(): void {
    const ctx = this.ctx;
    if (!ctx || ctx.state !== 'running') {
      if (ctx) void ctx.resume().catch(() => undefined);
      return;
    }
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = 'triangle';
    osc.frequency.value = LINK_TONE_HZ;
    gain.gain.value = 0;
    const t0 = ctx.currentTime + 0.02;
    for (let i = 0; i < 3; i++) {
      gain.gain.setValueAtTime(0.35, t0 + i * 0.35);
      gain.gain.setValueAtTime(0, t0 + i * 0.35 + 0.2);
    }
    osc.connect(gain).connect(ctx.destination);
    osc.start(t0);
    osc.stop(t0 + 1.1);
    this.state.set((s) => ({ ...s, linkBeeps: s.linkBeeps + 1 }));
    this.publish();
  }

  /** Call from a click or key handler: creates or resumes the audio context. */
  unlock(): void {
    const ctx = this.context();
    if (ctx && ctx.state !== 'running') void ctx.resume().catch(() => undefined);
  }

  set(wanted: boolean): void {
    if (wanted === this.state.get().wanted && (wanted ? this.osc !== null : true)) return;
    this.state.set((s) => ({ ...s, wanted }));
    if (wanted) this.start();
    else this.stop();
  }

  /** One short tone for a new alert that is not critical. */
  chime(): void {
    const ctx = this.context();
    if (!ctx || ctx.state !== 'running') return;
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.frequency.value = 880;
    gain.gain.setValueAtTime(0.0001, ctx.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.3, ctx.currentTime + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, ctx.currentTime + 0.4);
    osc.connect(gain).connect(ctx.destination);
    osc.start();
    osc.stop(ctx.currentTime + 0.45);
  }

  private context(): AudioContext | null {
    if (this.ctx) return this.ctx;
    if (typeof AudioContext === 'undefined') return null;
    this.ctx = new AudioContext();
    this.ctx.addEventListener('statechange', () => {
      // Unlocked while an alarm was waiting: start now.
      if (this.state.get().wanted && this.osc === null) this.start();
      this.publish();
    });
    return this.ctx;
  }

  private start(): void {
    const ctx = this.context();
    if (!ctx) return;
    if (ctx.state !== 'running') {
      // Started again from the context's statechange once the browser allows sound.
      void ctx.resume().catch(() => undefined);
      this.state.set((s) => ({ ...s, blocked: true, playing: false }));
      this.publish();
      return;
    }
    if (this.osc) return;
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = 'square';
    gain.gain.value = 0;
    osc.connect(gain).connect(ctx.destination);
    osc.start();
    this.osc = osc;
    this.gain = gain;
    this.startedAt = Date.now();
    this.state.set((s) => ({ ...s, playing: true, blocked: false, cycles: 0 }));
    this.cycle();
    this.timer = setInterval(() => this.cycle(), CYCLE_MS);
    this.publish();
  }

  /** One cycle: four alternating tones over 1.2 s, then silence, so a guard on the phone can still talk. */
  private cycle(): void {
    const ctx = this.ctx;
    if (!ctx || !this.osc || !this.gain) return;
    const t0 = ctx.currentTime + 0.02;
    for (let i = 0; i < 4; i++) this.osc.frequency.setValueAtTime(TONES[i % 2] ?? 960, t0 + i * 0.3);
    this.gain.gain.setValueAtTime(0.18, t0);
    this.gain.gain.setValueAtTime(0, t0 + 1.2);
    this.state.set((s) => ({ ...s, cycles: s.cycles + 1 }));
    this.publish();
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.osc) {
      try {
        this.osc.stop();
      } catch {
        // already stopped
      }
      this.osc.disconnect();
    }
    this.osc = null;
    this.gain = null;
    this.startedAt = null;
    this.state.set((s) => ({ ...s, playing: false, blocked: false }));
    this.publish();
  }

  private publish(): void {
    const s = this.state.get();
    const running = this.ctx?.state === 'running';
    const playing = s.playing && running;
    document.documentElement.dataset.siren = playing ? 'playing' : s.wanted ? 'blocked' : 'off';
    document.documentElement.dataset.sirenCycles = String(s.cycles);
    document.documentElement.dataset.sound = running ? 'unlocked' : 'locked';
    document.documentElement.dataset.linkTone = s.linkTone ? (running ? 'playing' : 'blocked') : 'off';
    document.documentElement.dataset.linkBeeps = String(s.linkBeeps);
    if (s.unlocked !== running) this.state.set((x) => ({ ...x, unlocked: running }));
    window.__linliSiren = { ...this.state.get(), playing, blocked: s.wanted && !playing, startedAt: this.startedAt };
  }
}

export const siren = new Siren();
