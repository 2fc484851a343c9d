import { type ParseArgsConfig, parseArgs } from 'node:util';
import { catalogue } from '@linli/gateway/contracts';
import type { EventChannel } from '../devices';
import { DEFAULT_MIX } from '../load';
import type { LogLevel } from '../log';
import { scenarios } from '../scenarios';
import { parseDuration } from '../time';

export const USAGE = `usage: tsx devices-sim/src/cli.ts <command> [options]

commands:
  list                     the scenarios and their options
  scenario <name>          run one scripted, seeded scenario
  community                bring every seeded device to life on an accelerated clock
  load                     benchmark load: N connections at a fixed rate or at saturation

options for every command:
  --url URL                broker URL (default mqtt://127.0.0.1:1883)
  --secrets PATH           the seed's secrets file (default data/device-secrets.json)
  --seed N                 random seed, an integer 0-4294967295 (default 1)
  --json                   print the final report as JSON on stdout
  --quiet                  no progress lines or logs on stderr
  --log-level LEVEL        debug | info | warn | error | silent (default info; silent with --quiet)
  -h, --help               this text

scenario and community:
  --speed X                sim seconds per real second (default 1 for scenarios, 60 for community)
  --start ISO              sim start, e.g. 2025-03-01T06:00:00+08:00 (default now)
  --dry-run                no broker: run on a manual clock and print each message that would be
                           published as a JSON line on stdout (sim time, client, topic, payload)
  --reply-timeout MS       real ms a terminal waits for an access reply (default 5000)

community:
  --duration D             sim time to run: 90s, 30m, 12h, 2d (default 24h)
  --no-heartbeats          leave heartbeats out (they follow real time: 20-300 s per device)

scenario (see \`list\` for which scenario takes which):
${scenarioOptionLines()}

load:
  --connections N          connections to open (default 100); device mode needs as many devices
  --rate N|max             messages per second in total, or max for saturation (default 1000)
  --duration SEC           seconds of sending (default 10)
  --qos 0|1                QoS of every message (default 1: PUBACK = committed by the gateway)
  --mix LIST               channel=weight list (default ${Object.entries(DEFAULT_MIX).map(([k, v]) => `${k}=${v}`).join(',')})
  --kinds LIST             device mode: use only devices of these kinds, e.g. face_terminal,streetlight
  --window N               saturation: messages in flight per connection (default 16)
  --max-inflight N         fixed rate: in-flight cap per connection before messages are skipped (default 1000)
  --ramp-batch N           connections opened per batch (default 50)
  --ramp-interval MS       pause between batches (default 100)
  --drain-timeout SEC      wait for outstanding acknowledgements after sending (default 10)
  --topic-mode MODE        device (v1 topics, seeded identities) | bare (plain topics, any broker)
  --topic-prefix P         bare: publish to P/<n>, a subscriber counts P/# (default bench/linli)
  --username U             bare: optional login
  --password P             bare: optional login
  --payload-bytes N        bare: payload size (default 128)

exit status: 0 done, 1 failed (no broker, no secrets file, no connection), 2 bad arguments`;

function scenarioOptionLines(): string {
  return scenarios
    .map((s) => {
      const opts = Object.entries(s.params).map(([k, p]) => `--${k}${p.required === true ? ' (required)' : p.default !== undefined ? ` (${p.default})` : ''}`);
      return `  ${s.name.padEnd(24)} ${opts.join(', ')}`;
    })
    .join('\n');
}

type Options = NonNullable<ParseArgsConfig['options']>;
const str = { type: 'string' } as const;
const flag = { type: 'boolean' } as const;

const COMMON: Options = { url: str, secrets: str, seed: str, json: flag, quiet: flag, 'log-level': str, help: { type: 'boolean', short: 'h' } };
const SIM: Options = { speed: str, start: str, 'dry-run': flag, 'reply-timeout': str };
const LOAD: Options = {
  connections: str, rate: str, duration: str, qos: str, mix: str, kinds: str, window: str, 'max-inflight': str, 'ramp-batch': str,
  'ramp-interval': str, 'drain-timeout': str, 'topic-mode': str, 'topic-prefix': str, username: str, password: str, 'payload-bytes': str,
};

export interface Common {
  url: string;
  secrets: string;
  seed: number;
  json: boolean;
  quiet: boolean;
  logLevel: LogLevel;
}

export interface SimArgs {
  speed: number | undefined;
  startMs: number;
  dryRun: boolean;
  replyTimeoutMs: number | undefined;
}

export type Parsed =
  | { command: 'help' }
  | { command: 'list'; common: Common }
  | { command: 'scenario'; common: Common; sim: SimArgs; name: string; params: Record<string, string | undefined> }
  | { command: 'community'; common: Common; sim: SimArgs; durationMs: number; heartbeats: boolean }
  | { command: 'load'; common: Common; load: LoadArgs };

export interface LoadArgs {
  connections: number;
  rate: number | 'max';
  durationSec: number;
  qos: 0 | 1;
  mix: Partial<Record<EventChannel, number>>;
  kinds: string[] | undefined;
  window: number;
  maxInFlight: number;
  rampBatch: number;
  rampIntervalMs: number;
  drainTimeoutMs: number;
  topicMode: 'device' | 'bare';
  topicPrefix: string;
  username: string | undefined;
  password: string | undefined;
  payloadBytes: number;
}

/** A bad argument: the message is for a person, and the CLI exits 2. */
export class UsageError extends Error {}

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

export function parseCli(argv: readonly string[]): Parsed {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') return { command: 'help' };
  switch (command) {
    case 'list': {
      const v = parse(rest, COMMON, false).values;
      return v.help === true ? { command: 'help' } : { command: 'list', common: common(v) };
    }
    case 'scenario': {
      const paramOptions: Options = {};
      for (const s of scenarios) for (const k of Object.keys(s.params)) paramOptions[k] = str;
      const { values, positionals } = parse(rest, { ...COMMON, ...SIM, ...paramOptions }, true);
      if (values.help === true) return { command: 'help' };
      const name = positionals[0];
      if (name === undefined) throw new UsageError(`scenario needs a name: ${scenarios.map((s) => s.name).join(', ')}`);
      if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
      const params: Record<string, string | undefined> = {};
      for (const k of Object.keys(paramOptions)) params[k] = text(values[k]);
      return { command: 'scenario', common: common(values), sim: sim(values), name, params };
    }
    case 'community': {
      const v = parse(rest, { ...COMMON, ...SIM, duration: str, 'no-heartbeats': flag }, false).values;
      if (v.help === true) return { command: 'help' };
      const durationMs = parseDuration(text(v.duration) ?? '24h');
      if (durationMs === null || durationMs <= 0) throw new UsageError(`--duration must look like 90s, 30m, 12h or 2d, got "${text(v.duration)}"`);
      return { command: 'community', common: common(v), sim: sim(v), durationMs, heartbeats: v['no-heartbeats'] !== true };
    }
    case 'load': {
      const v = parse(rest, { ...COMMON, ...LOAD }, false).values;
      return v.help === true ? { command: 'help' } : { command: 'load', common: common(v), load: load(v) };
    }
    default:
      throw new UsageError(`unknown command "${command}"; expected list, scenario, community or load`);
  }
}

function parse(args: string[], options: Options, allowPositionals: boolean): { values: Values; positionals: string[] } {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

const text = (v: Values[string]): string | undefined => (typeof v === 'string' ? v : undefined);

function integer(v: Values[string], name: string, fallback: number, min: number, max: number): number {
  const t = text(v);
  if (t === undefined) return fallback;
  const n = Number(t);
  if (!/^\d+$/.test(t) || n < min || n > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got "${t}"`);
  return n;
}

function positive(v: Values[string], name: string): number | undefined {
  const t = text(v);
  if (t === undefined) return undefined;
  const n = Number(t);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a positive number, got "${t}"`);
  return n;
}

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];

function common(v: Values): Common {
  const quiet = v.quiet === true;
  const level = text(v['log-level']) ?? (quiet ? 'silent' : 'info');
  const logLevel = LEVELS.find((l) => l === level);
  if (logLevel === undefined) throw new UsageError(`--log-level must be one of ${LEVELS.join(', ')}, got "${level}"`);
  const url = text(v.url) ?? 'mqtt://127.0.0.1:1883';
  if (!/^(mqtts?|wss?|tcp|tls):\/\/.+/.test(url)) throw new UsageError(`--url must be a broker URL such as mqtt://127.0.0.1:1883, got "${url}"`);
  return { url, secrets: text(v.secrets) ?? 'data/device-secrets.json', seed: integer(v.seed, 'seed', 1, 0, 0xffffffff), json: v.json === true, quiet, logLevel };
}

function sim(v: Values): SimArgs {
  const start = text(v.start);
  const startMs = start === undefined ? Date.now() : Date.parse(start);
  if (Number.isNaN(startMs)) throw new UsageError(`--start must be an ISO date-time such as 2025-03-01T06:00:00+08:00, got "${start}"`);
  return { speed: positive(v.speed, 'speed'), startMs, dryRun: v['dry-run'] === true, replyTimeoutMs: positive(v['reply-timeout'], 'reply-timeout') };
}

function load(v: Values): LoadArgs {
  const rateText = text(v.rate) ?? '1000';
  const rate = rateText === 'max' ? 'max' : positive(rateText, 'rate');
  if (rate === undefined) throw new UsageError('--rate is required');
  const qos = text(v.qos) ?? '1';
  if (qos !== '0' && qos !== '1') throw new UsageError(`--qos must be 0 or 1, got "${qos}"`);
  const topicMode = text(v['topic-mode']) ?? 'device';
  if (topicMode !== 'device' && topicMode !== 'bare') throw new UsageError(`--topic-mode must be device or bare, got "${topicMode}"`);
  return {
    connections: integer(v.connections, 'connections', 100, 1, 1_000_000),
    rate,
    durationSec: positive(v.duration, 'duration') ?? 10,
    qos: qos === '1' ? 1 : 0,
    mix: parseMix(text(v.mix)),
    kinds: text(v.kinds)?.split(',').map((k) => k.trim()),
    window: integer(v.window, 'window', 16, 1, 65_535),
    maxInFlight: integer(v['max-inflight'], 'max-inflight', 1_000, 1, 65_535),
    rampBatch: integer(v['ramp-batch'], 'ramp-batch', 50, 1, 100_000),
    rampIntervalMs: integer(v['ramp-interval'], 'ramp-interval', 100, 0, 600_000),
    drainTimeoutMs: (positive(v['drain-timeout'], 'drain-timeout') ?? 10) * 1000,
    topicMode,
    topicPrefix: text(v['topic-prefix']) ?? 'bench/linli',
    username: text(v.username),
    password: text(v.password),
    payloadBytes: integer(v['payload-bytes'], 'payload-bytes', 128, 16, 16 * 1024 * 1024),
  };
}

function parseMix(t: string | undefined): Partial<Record<EventChannel, number>> {
  if (t === undefined) return DEFAULT_MIX;
  const mix: Partial<Record<EventChannel, number>> = {};
  for (const part of t.split(',')) {
    const [name = '', weight = '1'] = part.split('=').map((s) => s.trim());
    const channel = isEventChannel(name) ? name : undefined;
    const w = Number(weight);
    if (channel === undefined) throw new UsageError(`--mix: "${name}" is not an up channel; use ${eventChannels().join(', ')}`);
    if (!Number.isFinite(w) || w < 0) throw new UsageError(`--mix: weight of ${name} must be a number ≥ 0, got "${weight}"`);
    mix[channel] = w;
  }
  return mix;
}

const eventChannels = (): EventChannel[] => Object.keys(catalogue).filter(isEventChannel);

function isEventChannel(name: string): name is EventChannel {
  return name !== 'presence' && Object.entries(catalogue).some(([k, spec]) => k === name && spec.direction === 'up');
}
