import Database from 'better-sqlite3';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlarmPress, topicFor } from '../gateway/src/contracts';
import { addPlacedDevice } from './helpers/alert-fixtures';
import { type TestGateway, startGateway } from './helpers/gateway';
import { connectClient } from './helpers/mqtt';

const BUTTON = { id: 'alarm-write-outage', kind: 'outdoor_alarm', secret: 'alarm-write-outage-secret', placeKind: 'outdoor' } as const;

/** Log lines as JSON objects. */
function logLines() {
  const lines: Array<{ level: number; msg: string; [k: string]: unknown }> = [];
  return {
    lines,
    destination: {
      write: (s: string) => {
        for (const l of s.split('\n')) if (l.trim() !== '') lines.push(JSON.parse(l));
      },
    },
  };
}

describe('alert engine writes during a database outage', () => {
  let t: TestGateway;
  const log = logLines();
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    t = await startGateway({ LOG_LEVEL: 'info', ALERT_ACK_SEC_CRITICAL: '1', ALERT_SWEEP_MS: '100', DB_HEARTBEAT_MS: '200', DB_BUSY_WAIT_MS: '200' }, undefined, undefined, log.destination);
    await addPlacedDevice(t.gw.db.prisma, BUTTON);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await t.close();
  });

  it('warns once when the escalation sweep starts failing, says once when it works again (how long, how many), and counts every failure', async () => {
    const c = await connectClient(t.mqttUrl, { clientId: BUTTON.id, username: BUTTON.id, password: BUTTON.secret });
    clients.push(c);
    await c.publishAsync(topicFor('alarmPress', BUTTON.id), JSON.stringify(AlarmPress.parse({ eventId: 'w-1', ts: new Date().toISOString() })), { qos: 1 });
    await expect.poll(async () => t.gw.db.prisma.alert.count({ where: { deviceId: BUTTON.id } }), { timeout: 10_000 }).toBe(1);

    // The alert's acknowledgement deadline (1 s) passes while another process holds the write lock: every sweep
    // tries to escalate and fails (each write itself waits a bounded time for the lock, DB_BUSY_WAIT_MS).
    const failures = async () => (await t.gw.metrics.registry.getSingleMetric('linli_alert_write_failures_total')?.get())?.values.find((v) => v.labels.op === 'escalation')?.value ?? 0;
    const blocker = new Database(t.dbFile);
    blocker.exec('BEGIN EXCLUSIVE');
    try {
      await expect.poll(failures, { timeout: 20_000, interval: 100 }).toBeGreaterThanOrEqual(2);
    } finally {
      blocker.exec('COMMIT');
      blocker.close();
    }
    await expect.poll(() => log.lines.some((l) => l.msg === 'escalation sweep works again'), { timeout: 20_000 }).toBe(true);
    await expect.poll(async () => t.gw.db.prisma.alertHistory.count({ where: { action: 'escalated' } }), { timeout: 10_000 }).toBeGreaterThan(0);

    const sweep = log.lines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('escalation sweep'));
    expect(sweep.map((l) => [l.level, l.msg])).toEqual([
      [40, 'escalation sweep failed; retried, and logged again once it succeeds'],
      [30, 'escalation sweep works again'],
    ]);
    const recovered = sweep[1]!;
    expect(recovered.failures).toBeGreaterThanOrEqual(2);
    expect(recovered.durationMs).toEqual(expect.any(Number));
    expect(log.lines.filter((l) => l.level >= 50 && /escalation sweep|alert change/.test(l.msg))).toEqual([]);
    expect(await failures()).toBeGreaterThanOrEqual(recovered.failures as number);
    const failing = (await t.gw.metrics.registry.getSingleMetric('linli_alert_writes_failing')?.get())?.values.find((v) => v.labels.op === 'escalation')?.value;
    expect(failing).toBe(0);
  }, 180_000);
});
