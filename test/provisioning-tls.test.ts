import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceSecretReply } from '../gateway/src/contracts/api/devices';
import { api, login } from './helpers/alert-fixtures';
import { addUser } from './helpers/fixtures';
import { type TestGateway, freshDatabase, startGateway } from './helpers/gateway';
import { connectClient } from './helpers/mqtt';

/**
 * A gateway with a certificate (TLS_CERT_FILE / TLS_KEY_FILE) tells a provisioned device to use MQTT over TLS: the
 * provisioning file and the QR code carry the mqtts address, and the secret logs in there, the certificate verified.
 */
describe('provisioning with MQTT over TLS', () => {
  let t: TestGateway;
  let admin: string;
  let cert: string;

  beforeAll(async () => {
    const { dir } = freshDatabase();
    cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    t = await startGateway({ TLS_CERT_FILE: cert, TLS_KEY_FILE: key });
    await t.gw.db.prisma.community.create({ data: { id: 'cq', name: '长庆坊小区', latitude: 34.2583, longitude: 108.9286 } });
    await addUser(t.gw.db.prisma, { username: 'boss', password: 'admin-password-1', role: 'admin' });
    admin = await login(t.httpUrl, 'boss', 'admin-password-1');
  });
  afterAll(() => t?.close());

  it('puts the mqtts URL in the provisioning file and the QR code, and the secret logs in over verified TLS', async () => {
    const r = await api(t.httpUrl, admin, 'POST', '/api/v1/devices', { id: 'gate-main', kind: 'face_terminal', name: '大门人脸门禁', communityId: 'cq', placeKind: 'main_gate' });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const reply = DeviceSecretReply.parse(r.body);
    expect(t.ports.mqtts).toBeDefined();
    const mqtts = `mqtts://127.0.0.1:${t.ports.mqtts}`;
    expect(reply.file.gateway).toEqual({ mqttUrl: `mqtt://127.0.0.1:${t.ports.mqtt}`, wsUrl: `ws://127.0.0.1:${t.ports.http}/mqtt`, mqttsUrl: mqtts });
    expect(JSON.parse(reply.qr.payload)).toMatchObject({ id: 'gate-main', secret: reply.secret, mqtts });
    const client = await connectClient(mqtts, { clientId: 'gate-main', username: 'gate-main', password: reply.secret, ca: readFileSync(cert), rejectUnauthorized: true });
    expect(client.connected).toBe(true);
    await client.endAsync();
  });
});
