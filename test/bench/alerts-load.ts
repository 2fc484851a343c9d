// Background load for the alerts benchmark, in its own process so the measuring process stays idle: `rate` QoS 1
// events per second from `ids` devices (door and barrier traffic that raises no alert), publish→PUBACK measured.
// Prints one JSON line with the totals when done. With --bare the same load goes to a bare broker (Mosquitto, the
// reference): anonymous clients on plain topics, and one QoS 1 subscriber that receives it all, as the gateway's
// ingest consumes all of it.
import { parseArgs } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import { runPaced } from '../../devices-sim/src/load/pacer';
import { BarrierState, DoorState, topicFor } from '../../gateway/src/contracts';
import { noDelay } from './lib';

const { values } = parseArgs({
  options: { url: { type: 'string' }, ids: { type: 'string' }, kinds: { type: 'string' }, secret: { type: 'string' }, rate: { type: 'string' }, seconds: { type: 'string' }, bare: { type: 'boolean', default: false } },
});
const bare = values.bare;
const ids = values.ids!.split(',');
const kinds = values.kinds!.split(',');
const rate = Number(values.rate);
const durationMs = Number(values.seconds) * 1000;

const clients: MqttClient[] = await Promise.all(
  ids.map(async (id) =>
    noDelay(await mqtt.connectAsync(values.url!, { clientId: id, ...(bare ? {} : { username: id, password: values.secret! }), protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 60_000 })),
  ),
);
// A broker past its limit drops connections (the gateway's backpressure disconnects a device whose event it cannot
// queue): later publishes on that connection count as failed instead of an EPIPE ending the benchmark.
for (const c of clients) {
  c.on('error', () => undefined);
  c.stream.on('error', () => undefined);
}
let received = 0;
if (bare) {
  const sink = noDelay(await mqtt.connectAsync(values.url!, { clientId: 'load-sink', protocolVersion: 4, reconnectPeriod: 0 }));
  await sink.subscribeAsync('bench/load/#', { qos: 1 });
  sink.on('message', () => received++);
}
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));

let sent = 0;
let acked = 0;
let failed = 0;
const latencies: number[] = [];
let n = 0;
const t0 = performance.now();
await runPaced({
  rate,
  durationMs,
  tickMs: 5,
  issue: (count) => {
    for (let k = 0; k < count; k++, n++) {
      const i = n % clients.length;
      const ts = new Date().toISOString();
      const eventId = `load-${n}`;
      // Openings by the exit button and manual barrier moves explain themselves: traffic, not incidents.
      const [deviceTopic, body] =
        kinds[i] === 'vehicle_gate'
          ? [topicFor('barrierState', ids[i]!), BarrierState.parse({ eventId, ts, state: n % 2 ? 'raised' : 'lowered', cause: 'manual' })]
          : [topicFor('doorState', ids[i]!), DoorState.parse({ eventId, ts, state: n % 2 ? 'open' : 'closed', cause: n % 2 ? 'exit_button' : 'unknown' })];
      const topic = bare ? `bench/load/${i}` : deviceTopic;
      const start = performance.now();
      sent++;
      clients[i]!.publish(topic, JSON.stringify(body), { qos: 1 }, (err) => {
        if (err) failed++;
        else {
          acked++;
          latencies.push(performance.now() - start);
        }
      });
    }
  },
});
const deadline = Date.now() + 10_000;
while (acked + failed < sent && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
const seconds = (performance.now() - t0) / 1000;
latencies.sort((a, b) => a - b);
const pct = (p: number) => Math.round((latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)] ?? NaN) * 10) / 10;
process.stdout.write(`${JSON.stringify({ sent, acked, failed, ackedPerSec: Math.round(acked / seconds), pubackP50: pct(50), pubackP99: pct(99), ...(bare ? { received } : {}) })}\n`);
await Promise.all(clients.map((c) => c.endAsync(true)));
process.exit(0);
