/**
 * The device simulator's command line: `tsx devices-sim/src/cli.ts <command> [options]`; `--help` lists everything.
 * Reports go to stdout (JSON with --json), progress and logs to stderr.
 */
import { pathToFileURL } from 'node:url';
import { type Parsed, USAGE, UsageError, parseCli } from './cli/args';
import { runCommunity } from './community';
import type { EventChannel, SentRecord } from './devices';
import { type LoadDevice, canSendAny, formatLoadReport, runLoad } from './load';
import { type Log, createLog } from './log';
import { type Population, loadSecrets, populationOf } from './population';
import { findScenario, resolveParams, runScenario, scenarios } from './scenarios';
import { formatTs } from './time';
import { createWorld } from './world';

type Out = { stdout: (s: string) => void; stderr: (s: string) => void };
const defaultOut: Out = { stdout: (s) => void process.stdout.write(s), stderr: (s) => void process.stderr.write(s) };

export async function main(argv: readonly string[], out: Out = defaultOut): Promise<number> {
  let parsed: Parsed;
  try {
    parsed = parseCli(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    out.stderr(`devices-sim: ${err.message}\nrun with --help for the options\n`);
    return 2;
  }
  switch (parsed.command) {
    case 'help':
      out.stdout(`${USAGE}\n`);
      return 0;
    case 'list':
      return list(parsed.common.json, out);
    case 'scenario':
      return scenarioCommand(parsed, out);
    case 'community':
      return communityCommand(parsed, out);
    case 'load':
      return loadCommand(parsed, out);
  }
}

function list(json: boolean, out: Out): number {
  if (json) {
    out.stdout(`${JSON.stringify(scenarios.map((s) => ({ name: s.name, description: s.description, params: s.params })))}\n`);
    return 0;
  }
  for (const s of scenarios) {
    out.stdout(`${s.name}\n  ${s.description}\n`);
    for (const [k, p] of Object.entries(s.params)) {
      const note = p.required === true ? ' (required)' : p.default !== undefined ? ` (default ${p.default})` : '';
      out.stdout(`    --${k}  ${p.description}${note}\n`);
    }
  }
  return 0;
}

function population(path: string, out: Out): Population | null {
  const loaded = loadSecrets(path);
  if (loaded.ok) return populationOf(loaded.secrets);
  out.stderr(`devices-sim: ${loaded.message}\n`);
  return null;
}

function report(json: boolean, value: object, human: string, out: Out, toStderr: boolean): void {
  if (json) out.stdout(`${JSON.stringify(value)}\n`);
  else (toStderr ? out.stderr : out.stdout)(`${human}\n`);
}

/** Dry runs print what would be published, one JSON line per message, as it happens. */
const printRecord = (out: Out) => (r: SentRecord) =>
  out.stdout(`${JSON.stringify({ t: formatTs(r.atMs), clientId: r.clientId, topic: r.topic, qos: r.qos, retain: r.retain, payload: r.payload })}\n`);

async function scenarioCommand(p: Extract<Parsed, { command: 'scenario' }>, out: Out): Promise<number> {
  const scenario = findScenario(p.name);
  if (!scenario) {
    out.stderr(`devices-sim: no scenario "${p.name}"; there are ${scenarios.map((s) => s.name).join(', ')}\n`);
    return 2;
  }
  const params = resolveParams(scenario, p.params);
  if (!params.ok) {
    out.stderr(`devices-sim: ${params.message}\n`);
    return 2;
  }
  const pop = population(p.common.secrets, out);
  if (!pop) return 1;
  const log = createLog(p.common.logLevel);
  const world = createWorld({
    population: pop, seed: p.common.seed, speed: p.sim.speed ?? 1, startMs: p.sim.startMs, url: p.common.url, dryRun: p.sim.dryRun, log,
    ...(p.sim.replyTimeoutMs !== undefined ? { replyTimeoutMs: p.sim.replyTimeoutMs } : {}),
  });
  if (world.recorder) world.recorder.onRecord = printRecord(out);
  let result;
  try {
    const ctx = { devices: world.roster, clock: world.clock, random: world.random.fork(`scenario:${scenario.name}`), log, population: pop, params: params.params };
    result = await world.drive(runScenario(scenario, ctx));
  } catch (err) {
    out.stderr(`devices-sim: scenario ${scenario.name} failed: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    // Before the report, so a dry run's last line is the report and not the devices' offline presence.
    await world.close();
  }
  const totals = world.roster.totals();
  const human = `${scenario.name}: ${Object.entries(result).map(([k, v]) => `${k}=${String(v)}`).join(' ')}\n  devices ${totals.devices}, sent ${totals.sent}, acked ${totals.acked}, errors ${totals.errors}, invalid ${totals.invalid}`;
  report(p.common.json, { scenario: scenario.name, seed: p.common.seed, result, totals }, human, out, p.sim.dryRun);
  return 0;
}

async function communityCommand(p: Extract<Parsed, { command: 'community' }>, out: Out): Promise<number> {
  const pop = population(p.common.secrets, out);
  if (!pop) return 1;
  const log: Log = createLog(p.common.logLevel);
  const world = createWorld({
    population: pop, seed: p.common.seed, speed: p.sim.speed ?? 60, startMs: p.sim.startMs, url: p.common.url, dryRun: p.sim.dryRun, log,
    ...(p.sim.replyTimeoutMs !== undefined ? { replyTimeoutMs: p.sim.replyTimeoutMs } : {}),
  });
  if (world.recorder) world.recorder.onRecord = printRecord(out);
  const stop = new AbortController();
  const onSigint = (): void => stop.abort();
  process.once('SIGINT', onSigint);
  const ticker =
    p.common.quiet || p.sim.dryRun
      ? undefined
      : setInterval(() => {
          const t = world.roster.totals();
          out.stderr(`[community] sim ${formatTs(world.clock.nowMs()).slice(0, 19)} devices=${t.connected}/${t.devices} sent=${t.sent} acked=${t.acked} errors=${t.errors}\n`);
        }, 1_000);
  let result;
  try {
    result = await world.drive(
      runCommunity({ population: pop, roster: world.roster, clock: world.clock, random: world.random.fork('community'), durationMs: p.durationMs, log, heartbeats: p.heartbeats, signal: stop.signal, connectPauseMs: p.sim.dryRun ? 0 : 100 }),
    );
  } finally {
    clearInterval(ticker);
    process.off('SIGINT', onSigint);
    await world.close();
  }
  if (result.devices === 0) {
    out.stderr(`devices-sim: no device could connect to ${p.common.url}${result.connectFailures[0] ? ` (${result.connectFailures[0].reason})` : ''}\n`);
    return 1;
  }
  const c = result.counts;
  const human =
    `community ${result.simStart} → ${result.simEnd} (×${result.speed}): ${result.devices} devices, ${result.connectFailures.length} failed to connect\n` +
    `  entries ${c.entries}, exits ${c.exits} (by car ${c.drives}), visitors ${c.visitors}, held open ${c.heldOpen}, forced ${c.forced}\n` +
    `  replies: granted ${c.granted}, denied ${c.denied}, none ${c.noReply}\n` +
    `  lamps on ${c.lampsOn}, off ${c.lampsOff}, failures ${c.lampFailures}, repairs ${c.lampRepairs}; alarms ${c.alarms}, cancels ${c.cancels}, low battery ${c.lowBattery}, tamper ${c.tamper}, heartbeats ${c.heartbeats}\n` +
    `  sent ${result.totals.sent}, acked ${result.totals.acked}, errors ${result.totals.errors}, invalid ${result.totals.invalid}; publish→PUBACK p99 ${result.totals.latencyMs.p99} ms`;
  report(p.common.json, result, human, out, p.sim.dryRun);
  return 0;
}

async function loadCommand(p: Extract<Parsed, { command: 'load' }>, out: Out): Promise<number> {
  const a = p.load;
  let devices: LoadDevice[] = [];
  if (a.topicMode === 'device') {
    const pop = population(p.common.secrets, out);
    if (!pop) return 1;
    const mix = Object.entries(a.mix).filter((e): e is [EventChannel, number] => typeof e[1] === 'number');
    devices = pop.devices.filter((d) => (a.kinds === undefined || a.kinds.includes(d.kind)) && canSendAny(d.kind, mix));
    if (devices.length < a.connections) {
      out.stderr(`devices-sim: --connections ${a.connections} needs as many devices that can send the mix; the secrets file has ${devices.length}${a.kinds ? ` of kinds ${a.kinds.join(',')}` : ''}\n`);
      return 2;
    }
  }
  try {
    const result = await runLoad({
      url: p.common.url, topicMode: a.topicMode, devices, connections: a.connections, rate: a.rate, durationSec: a.durationSec, mix: a.mix, qos: a.qos,
      window: a.window, maxInFlight: a.maxInFlight, rampBatch: a.rampBatch, rampIntervalMs: a.rampIntervalMs, drainTimeoutMs: a.drainTimeoutMs,
      seed: p.common.seed, topicPrefix: a.topicPrefix, payloadBytes: a.payloadBytes, quiet: p.common.quiet,
      ...(a.username !== undefined ? { username: a.username } : {}),
      ...(a.password !== undefined ? { password: a.password } : {}),
    });
    report(p.common.json, result, formatLoadReport(result), out, false);
    return 0;
  } catch (err) {
    out.stderr(`devices-sim: load failed: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then(
    (code) => {
      // MQTT sockets closed above; exit explicitly so a stray keep-alive timer cannot hold the process.
      process.exit(code);
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
