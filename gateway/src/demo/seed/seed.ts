import { randomInt } from 'node:crypto';
import { chmodSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { hashDeviceSecret, hashSecret, lookupHash, newSecret } from '../../auth/hash';
import { drawPin } from '../../auth/pin';
import type { CredentialType, DeviceKind } from '../../contracts/common';
import type { Db } from '../../db/client';
import type { CommunityPlan } from './community';
import type { SeedSecrets } from '../../contracts/seed-secrets';

export interface SeedOptions {
  /** HMAC key for Credential.lookupHash; must be the gateway's (see credential-key.ts). */
  credentialKey: string;
  /** Where the plaintext secrets go (mode 0600). Never logged. */
  secretsFile: string;
  /** Passwords by username; users not listed get a generated one, written to the secrets file. */
  passwords?: Readonly<Record<string, string>>;
  log?: (line: string) => void;
}

export interface SeedReport {
  communityId: string;
  buildings: number;
  units: number;
  households: number;
  residents: number;
  users: number;
  devices: Record<DeviceKind, number>;
  credentials: Record<CredentialType, number>;
  secretsFile: string;
  /** argon2 hashing of device secrets and passwords, the database writes, and the whole run. */
  timings: { hashMs: number; writeMs: number; totalMs: number };
}

/** Rows per createMany: large enough to be quick, small enough to stay far below SQLite's bind-variable limit. */
const CHUNK = 500;
/** argon2 runs on the libuv threadpool (4 threads by default); a few more in flight keeps it busy. */
const HASH_BATCH = 16;

/**
 * Writes a generated community. Everything goes in one transaction: a half-written seed would leave a Community
 * row behind, and `--if-empty` would then skip the seed for good.
 */
export async function seedDatabase(db: Pick<Db, 'prisma'>, plan: CommunityPlan, opts: SeedOptions): Promise<SeedReport> {
  const log = opts.log ?? ((): void => undefined);
  const started = performance.now();

  // ── secrets: drawn from node:crypto, never from the plan's seed ─────────────────────────────────────────────
  const deviceSecrets = new Map(plan.devices.map((d) => [d.id, newSecret()]));
  const passwords = new Map(plan.users.map((u) => [u.username, opts.passwords?.[u.username] ?? newSecret()]));
  const values = credentialValues(plan);

  // Prefixed keys: a username may one day equal a device id. Device secrets get the keyed hash (microseconds),
  // people's passwords argon2id (auth/hash.ts says why they differ).
  const hashes = new Map<string, string>([...deviceSecrets].map(([id, secret]) => [`device:${id}`, hashDeviceSecret(opts.credentialKey, id, secret)]));
  const toHash = [...passwords].map(([username, password]) => [`user:${username}`, password] as const);
  for (let i = 0; i < toHash.length; i += HASH_BATCH) {
    const batch = toHash.slice(i, i + HASH_BATCH);
    const done = await Promise.all(batch.map(async ([k, secret]) => [k, await hashSecret(secret)] as const));
    for (const [k, h] of done) hashes.set(k, h);
  }
  const hashMs = performance.now() - started;
  log(`hashed ${deviceSecrets.size} device secrets and ${toHash.length} passwords in ${Math.round(hashMs)} ms`);
  const hashOf = (k: string): string => must(hashes.get(k), `hash for ${k}`);

  // ── secrets file: staged next to its final name, moved into place only once the rows are committed ──────────
  const secrets: SeedSecrets = {
    version: 1,
    communityId: plan.community.id,
    createdAt: new Date().toISOString(),
    devices: Object.fromEntries(
      plan.devices.map((d) => {
        const secret = must(deviceSecrets.get(d.id), `secret for ${d.id}`);
        return [d.id, { secret, kind: d.kind, placeKind: d.placeKind, name: d.name }];
      }),
    ),
    users: Object.fromEntries(
      plan.users.map((u) => {
        const generated = opts.passwords?.[u.username] === undefined;
        const password = generated ? must(passwords.get(u.username), `password for ${u.username}`) : null;
        return [u.username, { role: u.role, displayName: u.displayName, password }];
      }),
    ),
    credentials: values.list,
  };
  mkdirSync(dirname(opts.secretsFile), { recursive: true, mode: 0o700 });
  const staged = `${opts.secretsFile}.${process.pid}.tmp`;
  writePrivate(staged, `${JSON.stringify(secrets, null, 2)}\n`);

  const writeStarted = performance.now();
  try {
    await writeRows(db, plan, hashOf, values.byCredentialId, opts.credentialKey);
    renameSync(staged, opts.secretsFile);
    chmodSync(opts.secretsFile, 0o600);
  } catch (err) {
    rmSync(staged, { force: true });
    throw err;
  }
  const writeMs = performance.now() - writeStarted;
  log(`wrote ${plan.households.length} households and ${plan.devices.length} devices in ${Math.round(writeMs)} ms`);

  return {
    communityId: plan.community.id,
    buildings: plan.buildings.length,
    units: plan.units.length,
    households: plan.households.length,
    residents: plan.residents.length,
    users: plan.users.length,
    devices: countDevices(plan),
    credentials: countCredentials(plan),
    secretsFile: opts.secretsFile,
    timings: { hashMs: Math.round(hashMs), writeMs: Math.round(writeMs), totalMs: Math.round(performance.now() - started) },
  };
}

async function writeRows(
  db: Pick<Db, 'prisma'>,
  plan: CommunityPlan,
  hashOf: (k: string) => string,
  values: ReadonlyMap<string, string>,
  key: string,
): Promise<void> {
  const communityId = plan.community.id;
  await db.prisma.$transaction(
    async (tx) => {
      await tx.community.create({ data: plan.community });
      await chunked(plan.buildings.map((b) => ({ ...b, communityId })), (data) => tx.building.createMany({ data }));
      await chunked(plan.units, (data) => tx.unit.createMany({ data }));
      await chunked(
        plan.households.map(({ tags: _tags, ...h }) => h),
        (data) => tx.household.createMany({ data }),
      );
      await chunked(
        plan.households.flatMap((h) => h.tags.map((tag) => ({ householdId: h.id, tag }))),
        (data) => tx.householdTag.createMany({ data }),
      );
      await chunked(
        plan.residents.map((r) => ({ ...r, faceConsentAt: r.faceConsentAt === null ? null : new Date(r.faceConsentAt) })),
        (data) => tx.resident.createMany({ data }),
      );
      await chunked(
        plan.credentials.map((c) => {
          const value = values.get(c.id);
          const secret = c.type === 'card' || c.type === 'pin' ? value : undefined;
          return {
            ...c,
            lookupHash: secret === undefined ? null : lookupHash(key, c.type, secret),
            // A card's last four digits help staff tell cards apart; a PIN gets no hint at all.
            hint: c.type === 'card' && secret !== undefined ? secret.slice(-4) : null,
          };
        }),
        (data) => tx.credential.createMany({ data }),
      );
      await chunked(
        plan.devices.map((d) => ({ ...d, communityId, secretHash: hashOf(`device:${d.id}`) })),
        (data) => tx.device.createMany({ data }),
      );
      await chunked(
        plan.users.map((u) => ({ ...u, passwordHash: hashOf(`user:${u.username}`) })),
        (data) => tx.user.createMany({ data }),
      );
      await tx.auditLog.create({
        data: {
          actor: 'seed',
          action: 'seed',
          entity: 'Community',
          entityId: communityId,
          detail: JSON.stringify({
            scale: plan.scale,
            seed: plan.seed,
            site: { width: plan.site.width, depth: plan.site.depth },
            households: plan.households.length,
            devices: plan.devices.length,
          }),
        },
      });
    },
    // A scale-14 seed writes ~30,000 rows; Prisma's 5 s default would abort it half way.
    { timeout: 600_000, maxWait: 10_000 },
  );
}

async function chunked<T>(items: readonly T[], write: (chunk: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += CHUNK) await write(items.slice(i, i + CHUNK));
}

/**
 * Card numbers and PINs for the residents who hold one, plus the face refs and plates the plan already fixed, as
 * the simulator needs them. Values are unique: a door looks a credential up by value and must find one person.
 */
function credentialValues(plan: CommunityPlan): { list: SeedSecrets['credentials']; byCredentialId: Map<string, string> } {
  const labelOf = new Map(plan.households.map((h) => [h.id, h.label]));
  const householdOf = new Map(plan.residents.map((r) => [r.id, r.householdId]));
  const used = new Set<string>();
  const unique = (type: string, draw: () => string): string => {
    for (;;) {
      const v = draw();
      if (!used.has(`${type}:${v}`)) {
        used.add(`${type}:${v}`);
        return v;
      }
    }
  };
  const list: SeedSecrets['credentials'] = [];
  const byCredentialId = new Map<string, string>();
  for (const c of plan.credentials) {
    let value: string | null;
    switch (c.type) {
      case 'card':
        // 10 decimal digits, as a Mifare card's UID is printed on its face.
        value = unique('card', () => String(randomInt(0, 10_000_000_000)).padStart(10, '0'));
        break;
      case 'pin':
        value = unique('pin', drawPin);
        break;
      case 'face':
        value = c.faceTemplateRef;
        break;
      case 'plate':
        value = c.plate;
        break;
      case 'qr':
        // QR codes are visitor passes, issued at run time; the seed gives residents none.
        value = null;
        break;
    }
    if (value === null) continue;
    byCredentialId.set(c.id, value);
    const householdLabel = labelOf.get(householdOf.get(c.residentId) ?? '') ?? '';
    list.push({ id: c.id, residentId: c.residentId, householdLabel, type: c.type, value });
  }
  return { list, byCredentialId };
}

function writePrivate(path: string, data: string): void {
  writeFileSync(path, data, { mode: 0o600 });
  // The mode above applies only when the file is created, and the umask may change it; make sure.
  chmodSync(path, 0o600);
}

// Literal records, so a new kind in the contracts fails to compile here rather than going uncounted.
function countDevices(plan: CommunityPlan): Record<DeviceKind, number> {
  const counts: Record<DeviceKind, number> = {
    face_terminal: 0,
    vehicle_gate: 0,
    streetlight: 0,
    indoor_alarm: 0,
    outdoor_alarm: 0,
  };
  for (const d of plan.devices) counts[d.kind] += 1;
  return counts;
}

function countCredentials(plan: CommunityPlan): Record<CredentialType, number> {
  const counts: Record<CredentialType, number> = { face: 0, card: 0, pin: 0, qr: 0, plate: 0 };
  for (const c of plan.credentials) counts[c.type] += 1;
  return counts;
}

function must<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`seed: missing ${what}`);
  return value;
}
