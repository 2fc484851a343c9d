import { chmodSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcceleratedClock } from '../devices-sim/src/clock';
import { FaceTerminal, mqttLinks } from '../devices-sim/src/devices';
import { lookupHash } from '../gateway/src/auth/hash';
import { SchemaMissingError, openDb } from '../gateway/src/db/client';
import { CredentialEnrolled } from '../gateway/src/contracts/api/credentials';
import { PassCreated } from '../gateway/src/contracts/api/passes';
import { LiveTicketReply } from '../gateway/src/contracts/live';
import { type AccessCompound, addAccessCompound } from './helpers/fixtures';
import { type TestGateway, freshDatabase, startGateway } from './helpers/gateway';
import { type ApiClient, apiClient } from './helpers/http';
import { SseClient } from './helpers/sse';

/** Whole-token occurrences only: a six-digit PIN may well be a substring of a millisecond timestamp. */
const occurs = (haystack: string, secret: string) => new RegExp(`(?<![0-9A-Za-z_-])${secret.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![0-9A-Za-z_-])`).test(haystack);

/** Every row of every table, as text. */
function dumpAllRows(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all().map((r) => String((r as { name: unknown }).name));
    return tables.map((t) => `${t}: ${JSON.stringify(db.prepare(`SELECT * FROM "${t}"`).all())}`).join('\n');
  } finally {
    db.close();
  }
}

describe('secrets never reach a log line or a row in clear', () => {
  const lines: string[] = [];
  let t: TestGateway;
  let c: AccessCompound;
  let api: ApiClient;
  const clock = new AcceleratedClock();
  const terminals: FaceTerminal[] = [];
  /** Every secret the flow used, by what it is. */
  const secrets = new Map<string, string>();

  beforeAll(async () => {
    // trace: the most the gateway ever writes.
    t = await startGateway({ LOG_LEVEL: 'trace' }, undefined, undefined, { write: (s: string) => void lines.push(s) });
    c = await addAccessCompound(t.gw.db.prisma, t.gw.credentialKey);
    await t.gw.access.reload();
    api = apiClient(t.httpUrl);
    for (const [k, u] of Object.entries(c.users)) secrets.set(`password ${k}`, u.password);
    for (const [k, d] of Object.entries(c.doors)) secrets.set(`device secret ${k}`, d.secret);
    secrets.set('card a', c.values.cardA);
    secrets.set('card b', c.values.cardB);
    secrets.set('pin b', c.values.pinB);
    secrets.set('face b', c.values.faceB);

    // Devices log in (secrets over MQTT), and one with a wrong secret is refused.
    const link = mqttLinks({ url: t.mqttUrl });
    for (const d of [c.doors.main, c.doors.b1, c.doors.b2]) {
      const term = new FaceTerminal({ ...d, link, clock });
      expect(await term.start()).toEqual({ ok: true });
      terminals.push(term);
    }
    const wrongSecret = 'wrong-device-secret-4f9a1c2e7b';
    secrets.set('wrong device secret', wrongSecret);
    const bad = mqtt.connect(t.mqttUrl, { clientId: c.doors.vehicle.id, username: c.doors.vehicle.id, password: wrongSecret, reconnectPeriod: 0 });
    await new Promise<void>((resolve) => bad.once('error', () => resolve()));
    bad.end(true);

    // People log in; one types a password into the user-name field, one gets the password wrong.
    const tokens = { a: await api.login(c.users.a), b: await api.login(c.users.b), guard: await api.login(c.users.guard), admin: await api.login(c.users.admin) };
    for (const [k, tok] of Object.entries(tokens)) secrets.set(`token ${k}`, tok);
    const mistyped = 'Tr0ub4dor&3-guard-night';
    secrets.set('password typed as user name', mistyped);
    expect((await api.post('/api/v1/auth/login', undefined, { username: mistyped, password: 'x' })).status).toBe(401);
    expect((await api.post('/api/v1/auth/login', undefined, { username: c.users.guard.username, password: 'wrong-password-9z8y7x' })).status).toBe(401);
    secrets.set('wrong password', 'wrong-password-9z8y7x');

    // An admin enrols a card and a PIN (shown once); a resident invites a visitor with a phone number.
    const newCard = 'A1B2C3D4E5F6';
    secrets.set('enrolled card', newCard);
    expect((await api.post(`/api/v1/residents/${c.residents.a}/credentials`, tokens.admin, { type: 'card', value: newCard })).status).toBe(201);
    const pin = CredentialEnrolled.parse((await api.post(`/api/v1/residents/${c.residents.a}/credentials`, tokens.admin, { type: 'pin' })).body).pin ?? '';
    expect(pin).toMatch(/^\d{6}$/);
    secrets.set('enrolled pin', pin);
    const phone = '13912345678';
    secrets.set('visitor phone', phone);
    const pass = PassCreated.parse((await api.post('/api/v1/passes', tokens.a, { visitorName: '张三', phone, validUntil: new Date(Date.now() + 7_200_000).toISOString() })).body);
    secrets.set('pass code', pass.code);
    secrets.set('pass qr payload', pass.qr.payload);

    // Every credential type at the doors: cards, PINs (a wrong one too), a face, the QR and the pass code.
    const [main, b1, b2] = terminals as [FaceTerminal, FaceTerminal, FaceTerminal];
    const wrongPin = '135792';
    secrets.set('wrong pin', wrongPin);
    const asks: Array<[FaceTerminal, { type: 'card' | 'pin' | 'face' | 'qr'; value: string }]> = [
      [main, { type: 'card', value: c.values.cardA }],
      [b2, { type: 'card', value: c.values.cardB }],
      [b2, { type: 'pin', value: c.values.pinB }],
      [b2, { type: 'face', value: c.values.faceB }],
      [b1, { type: 'card', value: newCard }],
      [b1, { type: 'pin', value: pin }],
      [b1, { type: 'pin', value: wrongPin }],
      [main, { type: 'qr', value: pass.qr.payload }],
      [b1, { type: 'pin', value: pass.code }],
    ];
    for (const [term, credential] of asks) expect((await term.requestAccess(credential, 'in')).ok).toBe(true);

    // The guard station's stream: a ticket (used), and a token put in a URL by mistake (refused, and still secret).
    const issued = LiveTicketReply.parse((await api.post('/api/v1/live/ticket', tokens.guard)).body);
    secrets.set('stream ticket', issued.ticket);
    const stream = await SseClient.open(`${t.httpUrl}/api/v1/live/alerts?ticket=${issued.ticket}&ack=1`);
    await stream.next((f) => f.event === 'snapshot');
    await stream.close();
    await expect(SseClient.open(`${t.httpUrl}/api/v1/live/alerts?token=${tokens.guard}`)).rejects.toMatchObject({ status: 401 });
    expect((await api.get(`/api/v1/alerts?access_token=${tokens.guard}`)).status).toBe(401);
    expect((await api.post('/api/v1/auth/logout', tokens.b)).status).toBe(204);
    // The logout's "request completed" line is written just after its reply went out.
    const logoutReq = () => lines.find((l) => l.includes('"url":"/api/v1/auth/logout"'))?.match(/"reqId":"([^"]+)"/)?.[1];
    for (let i = 0; i < 200 && !lines.some((l) => l.includes(`"reqId":"${logoutReq()}"`) && l.includes('request completed')); i++) await new Promise((r) => setTimeout(r, 25));
  });

  afterAll(async () => {
    for (const term of terminals) await term.close();
    clock.stop();
    await t?.close();
  });

  it('writes none of the flow\'s secrets to the log', () => {
    expect(lines.length).toBeGreaterThan(30);
    if (process.env.SHOW_LOG) process.stdout.write(lines.join(''));
    const log = lines.join('');
    const leaked = [...secrets].filter(([, v]) => occurs(log, v)).map(([k]) => k);
    expect(leaked).toEqual([]);
    // The log is still useful: the refused logins are there, the mistyped one as a fingerprint only.
    expect(log).toMatch(/"username":"\[len 23 hmac:[0-9a-f]{12}\]".*"msg":"login refused"/);
    expect(log).toContain('"username":"guard1","reason":"bad_credentials"');
  });

  it('leaves nothing usable in a logged URL: a stream URL replayed from the log opens nothing', async () => {
    const urls = lines.map((l) => JSON.parse(l) as { req?: { url?: string } }).map((l) => l.req?.url).filter((u): u is string => u?.startsWith('/api/v1/live/alerts') === true);
    expect(urls.length).toBeGreaterThan(0);
    expect(urls.every((u) => u.includes('[redacted]'))).toBe(true);
    for (const u of new Set(urls)) await expect(SseClient.open(`${t.httpUrl}${u}`)).rejects.toMatchObject({ status: 401 });
  });

  it('keeps every log line parseable with one level, time and msg', () => {
    for (const l of lines) {
      const keys = [...l.matchAll(/"(level|time|msg)":/g)].map((m) => m[1]);
      expect(keys.filter((k) => k === 'level')).toHaveLength(1);
      expect(keys.filter((k) => k === 'time')).toHaveLength(1);
    }
  });

  it('stores no credential value, password, token or phone number in any row of any table', async () => {
    await t.gw.writer.drain(10_000);
    const rows = dumpAllRows(t.dbFile);
    // Face template references and plates are not secrets: the Credential table keeps them to match on.
    const mustNotAppear = [...secrets].filter(([k]) => k !== 'face b');
    expect(mustNotAppear.filter(([, v]) => occurs(rows, v)).map(([k]) => k)).toEqual([]);
    // The audit trail keeps which credential was presented where: the look-up hash, same as Credential.lookupHash.
    const requests = await t.gw.db.prisma.deviceEvent.findMany({ where: { channel: 'access/request' } });
    expect(requests).toHaveLength(9);
    const stored = requests.map((r) => JSON.parse(r.payload) as { credential: { type: string; valueHash?: string; value?: string } });
    expect(stored.every((s) => s.credential.value === undefined && typeof s.credential.valueHash === 'string')).toBe(true);
    expect(stored.map((s) => s.credential.valueHash)).toContain(lookupHash(t.gw.credentialKey, 'card', c.values.cardA));
    const cred = await t.gw.db.prisma.credential.findUniqueOrThrow({ where: { id: 'cred-a-card' } });
    expect(stored.map((s) => s.credential.valueHash)).toContain(cred.lookupHash);
  });
});

describe('files at rest', () => {
  it('keeps the database, its WAL and the key owner-only, and creates the data directory owner-only', async () => {
    const existing = freshDatabase();
    chmodSync(existing.dbFile, 0o644);
    const t = await startGateway({}, existing);
    try {
      const mode = (p: string) => statSync(p).mode & 0o777;
      expect(mode(t.dbFile)).toBe(0o600);
      expect(mode(`${t.dbFile}-wal`)).toBe(0o600);
      expect(mode(join(t.dir, 'credential.key'))).toBe(0o600);
      const fresh = join(t.dir, 'new-data', 'linli.db');
      await expect(openDb(fresh)).rejects.toThrow(SchemaMissingError);
      expect(mode(dirname(fresh))).toBe(0o700);
    } finally {
      await t.close();
      rmSync(existing.dir, { recursive: true, force: true });
    }
  });
});

describe('data migration of stored access requests', () => {
  it('rewrites rows stored with clear credential values once, at start, keeping their hash', async () => {
    const existing = freshDatabase();
    const raw = new Database(existing.dbFile);
    const at = new Date().toISOString().replace('Z', '+00:00');
    const insert = raw.prepare('INSERT INTO DeviceEvent (deviceId, eventId, channel, payload, deviceTime, receivedAt) VALUES (?, ?, ?, ?, ?, ?)');
    const legacy = (eventId: string, credential: object) =>
      JSON.stringify({ eventId, ts: at, requestId: `req-${eventId}`, credential, direction: 'in' });
    insert.run('door-1', 'old-1', 'access/request', legacy('old-1', { type: 'card', value: '3021457789' }), at, at);
    insert.run('door-1', 'old-2', 'access/request', legacy('old-2', { type: 'pin', value: '482913' }), at, at);
    insert.run('gate-1', 'old-3', 'access/request', legacy('old-3', { type: 'plate', value: '陕A12345' }), at, at);
    // Not a valid request any more (an older protocol's extra field): the value still goes.
    insert.run('door-1', 'old-4', 'access/request', JSON.stringify({ credential: { type: 'pin', value: '918273' }, extra: 1 }), at, at);
    raw.close();

    const t = await startGateway({ CREDENTIAL_KEY: 'k'.repeat(40) }, existing);
    try {
      const rows = await t.gw.db.prisma.deviceEvent.findMany({ where: { channel: 'access/request' }, orderBy: { eventId: 'asc' } });
      const text = rows.map((r) => r.payload).join('\n');
      for (const v of ['3021457789', '482913', '918273']) expect(occurs(text, v)).toBe(false);
      expect(JSON.parse(rows[0]!.payload)).toMatchObject({ eventId: 'old-1', requestId: 'req-old-1', credential: { type: 'card', valueHash: lookupHash('k'.repeat(40), 'card', '3021457789') } });
      expect(JSON.parse(rows[2]!.payload)).toMatchObject({ credential: { type: 'plate', plate: '陕A12345' } });
      expect(JSON.parse(rows[3]!.payload)).toEqual({ credential: { type: 'pin' }, extra: 1 });
      expect(await t.gw.db.prisma.dataMigration.findMany()).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'access-request-credential-hash' })]));
    } finally {
      await t.close();
      rmSync(existing.dir, { recursive: true, force: true });
    }
  });
});
