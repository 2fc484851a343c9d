import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lookupHash, verifyDeviceSecret, verifySecret } from '../../auth/hash';
import { DeviceId } from '../../contracts/common';
import { PlateRead } from '../../contracts/payloads';
import { type Db, openDb } from '../../db/client';
import { type CommunityPlan, generateCommunity } from './community';
import type { SeedSecrets } from '../../contracts/seed-secrets';
import { readSeedSecrets } from './secrets-file';
import { type SeedReport, seedDatabase } from './seed';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const bin = (name: string): string => join(ROOT, 'node_modules', '.bin', name);
/** Child processes (prisma, the seed CLI) need PATH and friends, plus the database under test. */
const childEnv = (databaseFile: string): NodeJS.ProcessEnv => ({
  // eslint-disable-next-line no-restricted-properties -- passing the environment through to a child, not reading config
  ...process.env,
  DATABASE_URL: `file:${databaseFile}`,
  // An ambient key must not leak into the CLI run; the CLI would then differ from what this test seeded with.
  CREDENTIAL_KEY: '',
});

describe('generateCommunity', () => {
  it('returns the same plan for the same seed and a different one for another seed', () => {
    expect(generateCommunity({ scale: 1, seed: 7 })).toEqual(generateCommunity({ scale: 1, seed: 7 }));
    expect(generateCommunity({ scale: 1, seed: 8 })).not.toEqual(generateCommunity({ scale: 1, seed: 7 }));
  });

  it('gives every device a valid id and every car a valid plate', () => {
    const plan = generateCommunity({ scale: 2, seed: 3 });
    for (const d of plan.devices) expect(DeviceId.safeParse(d.id).success, d.id).toBe(true);
    const plates = plan.credentials.flatMap((c) => (c.plate === null ? [] : [c.plate]));
    expect(plates.length).toBeGreaterThan(0);
    for (const plate of plates) expect(PlateRead.shape.plate.safeParse(plate).success, plate).toBe(true);
  });

  it('scales the buildings and keeps them inside the compound', () => {
    const plan = generateCommunity({ scale: 3 });
    expect(plan.buildings).toHaveLength(36);
    for (const b of plan.buildings) {
      expect(b.x + b.width).toBeLessThanOrEqual(plan.site.width);
      expect(b.y + b.depth).toBeLessThanOrEqual(plan.site.depth);
    }
  });
});

describe('seedDatabase', () => {
  let dir: string;
  let dbPath: string;
  let db: Db;
  let plan: CommunityPlan;
  let report: SeedReport;
  let secrets: SeedSecrets;
  const credentialKey = randomBytes(48).toString('base64url');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'linli-seed-'));
    dbPath = join(dir, 'linli.db');
    const migrate = spawnSync(bin('prisma'), ['migrate', 'deploy'], {
      cwd: ROOT,
      env: childEnv(dbPath),
      encoding: 'utf8',
    });
    expect(migrate.status, migrate.stderr).toBe(0);
    db = await openDb(dbPath);
    plan = generateCommunity({ scale: 1, seed: 1 });
    report = await seedDatabase(db, plan, { credentialKey, secretsFile: join(dir, 'device-secrets.json') });
    secrets = readSeedSecrets(report.secretsFile);
    // A migration in a child process and a few hundred argon2id passwords: minutes on a busy two-core machine.
  }, 300_000);

  afterAll(async () => {
    await db?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('writes at least 12 buildings, 24 units and 280 households', async () => {
    expect(await db.prisma.building.count()).toBeGreaterThanOrEqual(12);
    expect(await db.prisma.unit.count()).toBeGreaterThanOrEqual(24);
    expect(await db.prisma.household.count()).toBeGreaterThanOrEqual(280);
    expect(report.households).toBe(await db.prisma.household.count());
  });

  it('fits an indoor alarm in every elderly_alone household', async () => {
    const alone = await db.prisma.household.findMany({
      where: { tags: { some: { tag: 'elderly_alone' } } },
      include: { devices: true, residents: true },
    });
    expect(alone.length).toBeGreaterThan(0);
    for (const h of alone) {
      expect(h.devices.some((d) => d.kind === 'indoor_alarm'), h.label).toBe(true);
      expect(h.residents).toHaveLength(1);
    }
  });

  it('leaves vacant households without residents', async () => {
    const occupiedVacant = await db.prisma.household.count({
      where: { tags: { some: { tag: 'vacant' } }, residents: { some: {} } },
    });
    expect(occupiedVacant).toBe(0);
  });

  it('puts one face terminal on every unit door and about 40 streetlights on the roads', async () => {
    const units = await db.prisma.unit.findMany({ include: { devices: true } });
    for (const u of units) {
      const doors = u.devices.filter((d) => d.kind === 'face_terminal' && d.placeKind === 'unit_door');
      expect(doors, u.id).toHaveLength(1);
    }
    const lamps = await db.prisma.device.count({ where: { kind: 'streetlight' } });
    expect(lamps).toBeGreaterThanOrEqual(35);
    expect(lamps).toBeLessThanOrEqual(45);
    expect(await db.prisma.device.count({ where: { placeKind: 'main_gate' } })).toBe(1);
    expect(await db.prisma.device.count({ where: { kind: 'vehicle_gate' } })).toBe(1);
  });

  it('gives every resident who refused face recognition a card or a PIN, and no face credential', async () => {
    const refusers = await db.prisma.resident.findMany({ where: { faceConsent: false }, include: { credentials: true } });
    expect(refusers.length).toBeGreaterThan(0);
    for (const r of refusers) {
      expect(r.credentials.some((c) => c.type === 'card' || c.type === 'pin'), r.id).toBe(true);
      expect(r.credentials.some((c) => c.type === 'face'), r.id).toBe(false);
    }
  });

  it('stores device secrets only as keyed hashes and passwords only as argon2 hashes', async () => {
    const devices = await db.prisma.device.findMany({ where: { id: { in: ['gate-main', 'door-b01-u1', 'lamp-001'] } } });
    expect(devices).toHaveLength(3);
    for (const d of devices) {
      const secret = secrets.devices[d.id]?.secret;
      if (secret === undefined) throw new Error(`no secret for ${d.id}`);
      expect(d.secretHash).not.toBe(secret);
      expect(d.secretHash).toMatch(/^hmac-sha256\$/);
      expect(verifyDeviceSecret(credentialKey, d.id, d.secretHash, secret)).toBe(true);
    }
    const admin = await db.prisma.user.findUniqueOrThrow({ where: { username: 'admin' } });
    expect(await verifySecret(admin.passwordHash, secrets.users.admin?.password ?? '')).toBe(true);
  });

  it('stores card numbers and PINs as look-up hashes, with a hint for cards only', async () => {
    const card = secrets.credentials.find((c) => c.type === 'card');
    const pin = secrets.credentials.find((c) => c.type === 'pin');
    if (card === undefined || pin === undefined) throw new Error('seed made no card or no PIN');
    const cardRow = await db.prisma.credential.findUniqueOrThrow({ where: { id: card.id } });
    expect(cardRow.lookupHash).toBe(lookupHash(credentialKey, 'card', card.value));
    expect(cardRow.hint).toBe(card.value.slice(-4));
    const pinRow = await db.prisma.credential.findUniqueOrThrow({ where: { id: pin.id } });
    expect(pinRow.lookupHash).toBe(lookupHash(credentialKey, 'pin', pin.value));
    expect(pinRow.hint).toBeNull();
  });

  it('writes the secrets file readable by its owner only', () => {
    expect(statSync(report.secretsFile).mode & 0o777).toBe(0o600);
    expect(Object.keys(secrets.devices)).toHaveLength(plan.devices.length);
  });

  it('records the seed in the audit log', async () => {
    const rows = await db.prisma.auditLog.findMany({ where: { entity: 'Community', entityId: plan.community.id } });
    expect(rows).toMatchObject([{ actor: 'seed', action: 'seed' }]);
  });

  describe('prisma/seed.ts', () => {
    const cli = (args: string[]) =>
      spawnSync(bin('tsx'), ['prisma/seed.ts', ...args], {
        cwd: ROOT,
        env: childEnv(dbPath),
        encoding: 'utf8',
      });

    it('does nothing with --if-empty when a community exists', async () => {
      const before = { devices: await db.prisma.device.count(), mtime: statSync(report.secretsFile).mtimeMs };
      const run = cli(['--if-empty']);
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toContain('nothing to do');
      expect(await db.prisma.device.count()).toBe(before.devices);
      expect(statSync(report.secretsFile).mtimeMs).toBe(before.mtime);
      expect(existsSync(join(dir, 'credential.key'))).toBe(false);
    });

    it('exits 2 on a bad argument', () => {
      const run = cli(['--scale', 'many']);
      expect(run.status).toBe(2);
      expect(run.stderr).toContain('--scale');
    });
  });
});
