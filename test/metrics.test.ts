import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb } from '../gateway/src/db/client';
import { addDevice } from './helpers/fixtures';
import { freshDatabase, startGateway, type TestGateway } from './helpers/gateway';
import { connectClient } from './helpers/mqtt';

const DOOR = { id: 'door-metrics-1', kind: 'face_terminal' as const, secret: 'metrics-secret-1-xyz' };

// promtool comes from Debian's prometheus package (.ci/run installs it when missing).
describe('/metrics as Prometheus reads it', () => {
  let t: TestGateway;
  beforeAll(async () => {
    const existing = freshDatabase();
    const db = await openDb(existing.dbFile);
    await addDevice(db.prisma, DOOR);
    await db.close();
    t = await startGateway({}, existing);
  });
  afterAll(async () => t?.close());

  it('passes promtool check metrics, with no per-device label and no per-socket collector', async () => {
    // A refused payload and a duplicate login: the counters that used to carry a deviceId label get samples.
    const a = await connectClient(t.mqttUrl, { clientId: DOOR.id, username: DOOR.id, password: DOOR.secret });
    await a.publishAsync(`v1/devices/${DOOR.id}/door/state`, 'not json', { qos: 1 });
    const b = await connectClient(t.mqttUrl, { clientId: DOOR.id, username: DOOR.id, password: DOOR.secret });
    await expect
      .poll(async () => (await fetch(`${t.httpUrl}/metrics`)).text(), { timeout: 15_000 })
      .toMatch(/linli_mqtt_duplicate_client_total [1-9][\s\S]*linli_ingest_rejected_total\{code="invalid_json"\} [1-9]/);
    await Promise.all([a.endAsync(true), b.endAsync(true)]);

    const text = await (await fetch(`${t.httpUrl}/metrics`)).text();
    expect(text).not.toMatch(/deviceId=|device_id=/);
    expect(text).not.toMatch(/^linli_(process_open_fds|nodejs_active_handles|nodejs_active_resources|nodejs_active_requests)/m);
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(check.error).toBeUndefined();
    expect(`${check.stdout}${check.stderr}`.trim()).toBe('');
    expect(check.status).toBe(0);
  });
});
