// `npm run demo`: the gateway and a whole simulated community together, and the guard station's live alert feed in
// this terminal, so a newcomer sees events and alerts flowing within seconds. Ctrl-C stops everything.
//
// 1. migrate, seed the demo community if empty, build, start the gateway (ports from HTTP_PORT / MQTT_PORT)
// 2. bring every seeded device to life (devices-sim community mode, one sim minute per real second)
// 3. a few seconds in, stage what a guard must see: an alarm press in a household, a forced door, a lamp failure
// 4. log in as guard1 and print every frame of the live alert stream
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { runCommunity } from '../devices-sim/src/community';
import { createLog } from '../devices-sim/src/log';
import { loadSecrets, populationOf } from '../devices-sim/src/population';
import { createWorld } from '../devices-sim/src/world';
import { LoginReply } from '../gateway/src/contracts/api/auth';
import { LiveAlertChange, LiveSnapshot } from '../gateway/src/contracts/live';
import type { Alert } from '../gateway/src/contracts/api/alerts';

const httpPort = Number(process.env.HTTP_PORT ?? 8080);
const mqttPort = Number(process.env.MQTT_PORT ?? 1883);
const dbUrl = process.env.DATABASE_URL ?? 'file:./data/linli.db';
const secretsFile = join(dirname(dbUrl.slice('file:'.length)), 'device-secrets.json');
const base = `http://127.0.0.1:${httpPort}`;

const say = (line: string) => process.stdout.write(`${line}\n`);
const run = (args: string[]) => {
  const r = spawnSync('npm', ['run', '-s', ...args], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

run(['db:migrate']);
run(['seed', '--', '--if-empty']);
run(['build']);

const gateway: ChildProcess = spawn(process.execPath, ['dist/gateway.mjs'], {
  env: {
    ...process.env,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    HTTP_PORT: String(httpPort),
    MQTT_PORT: String(mqttPort),
    // The simulated lamps follow the accelerated day (a sim minute per second); the gateway judges them by the real
    // sun. In the demo those two rules would only report that mismatch.
    ALERT_DISABLED_TYPES: process.env.ALERT_DISABLED_TYPES ?? 'light_not_lit,light_lit_in_daylight',
  },
  stdio: ['ignore', 'inherit', 'inherit'],
});
gateway.once('exit', (code) => {
  say(`gateway exited (${code})`);
  process.exit(code ?? 1);
});

async function ready(): Promise<void> {
  // Generous: on a busy machine the first start (migrations, 128 devices' state) can take far longer than usual.
  for (let i = 0; i < 900; i++) {
    const ok = await fetch(`${base}/readyz`).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('the gateway did not become ready in 180 s');
}
await ready();
say(`\n邻里 Linli demo — gateway on ${base} (API docs ${base}/docs), MQTT on ${mqttPort}\n`);

const loaded = loadSecrets(secretsFile);
if (!loaded.ok) throw new Error(loaded.message);
const population = populationOf(loaded.secrets);
const world = createWorld({ population, seed: 1, speed: 60, startMs: Date.now(), url: `mqtt://127.0.0.1:${mqttPort}`, log: createLog('warn') });
const stop = new AbortController();
const community = world.drive(runCommunity({ population, roster: world.roster, clock: world.clock, random: world.random.fork('community'), durationMs: 7 * 24 * 3_600_000, log: world.log, signal: stop.signal }));

// What a guard must see early on, whatever the simulated day brings.
setTimeout(() => {
  void (async () => {
    const alarm = population.devices.find((d) => d.kind === 'indoor_alarm');
    const door = population.devices.find((d) => d.placeKind === 'unit_door');
    const lamp = population.devices.find((d) => d.kind === 'streetlight');
    if (alarm) await (await world.roster.alarm(alarm.id)).press();
    if (door) {
      const t = await world.roster.faceTerminal(door.id);
      // The simulated residents use this door too: if one of them is walking through right now the door is already
      // open, and "open" again is no new opening. Closed first, then forced open: always an opening nobody granted
      // (a grant issued a moment before is used up either by this opening or by the resident's, which is then forced).
      await t.reportDoor('closed', 'unknown');
      await new Promise((r) => setTimeout(r, 1_000));
      await t.reportDoor('open', 'unknown');
      setTimeout(() => void t.reportDoor('closed', 'unknown'), 5_000);
    }
    if (lamp) await (await world.roster.streetlight(lamp.id)).fail('lamp_failure');
  })().catch((err: unknown) => say(`demo staging failed: ${String(err)}`));
}, 8_000);

const SEVERITY: Record<Alert['severity'], string> = { critical: '紧急', major: '重要', minor: '一般', warning: '提示' };
const show = (verb: string, a: Alert) =>
  say(`${new Date().toLocaleTimeString('zh-CN', { hour12: false })}  [${SEVERITY[a.severity]}] ${verb.padEnd(12)} ${a.type.padEnd(22)} ${a.place.label}${a.tags.length ? `  (${a.tags.join(', ')})` : ''}${a.count > 1 ? `  ×${a.count}` : ''}`);

async function followAlerts(): Promise<void> {
  const guard = loaded.ok ? loaded.secrets.users.guard1?.password : undefined;
  if (!guard) throw new Error('no guard1 password in the secrets file');
  const login = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'guard1', password: guard }) });
  const { token } = LoginReply.parse(await login.json());
  const res = await fetch(`${base}/api/v1/live/alerts`, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } });
  if (!res.ok || !res.body) throw new Error(`live stream answered ${res.status}`);
  say('live alert stream (guard1) — Ctrl-C to stop\n');
  let buffer = '';
  const decoder = new TextDecoder();
  const reader = res.body.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(frame)?.[1];
      const data = /^data: (.*)$/m.exec(frame)?.[1];
      if (!data) continue;
      if (event === 'snapshot') for (const a of LiveSnapshot.parse(JSON.parse(data)).alerts) show('open', a);
      if (event === 'alert') {
        const change = LiveAlertChange.parse(JSON.parse(data));
        show(change.action, change.alert);
      }
    }
  }
}

process.once('SIGINT', () => {
  stop.abort();
  void community.finally(async () => {
    await world.close();
    gateway.kill('SIGTERM');
  });
});
await followAlerts();
