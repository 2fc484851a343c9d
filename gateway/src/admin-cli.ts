// The `linli admin …` and `linli device …` commands (cli.ts): the first steps of an installation from a shell, through
// the same services and audit trail as the admin pages. They write the database directly, so a running gateway learns
// of a CLI change at its next start (or through the API): a rotation from the shell does not close a live session —
// use the admin pages (or POST /api/v1/devices/{id}/rotate) when the device is connected.
import { writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { ZodError } from 'zod';
import { loadOrCreateCredentialKey } from './auth/credential-key';
import { Bus } from './bus';
import { type Config, dataDirectory, supervisionByKind } from './config';
import { Role } from './contracts';
import type { Principal } from './contracts/api/auth';
import { DeviceCreateBody, type DeviceSecretReply } from './contracts/api/devices';
import { UserCreateBody } from './contracts/api/users';
import { openStore } from './db/store';
import { deviceAdminRepo } from './db/device-admin';
import { userRepo } from './db/users';
import { createDeviceService, deviceEndpoints } from './devices/service';
import { AppError } from './errors';
import { createLogger } from './log';
import { createUserService } from './users/service';

export const ADMIN_USAGE = `  admin create <username> [--role admin|guard|grid_worker|property_manager] [--name <display name>] [--community <id>]
                  an account with a one-time password (printed once; changed at the first login)
  device create <id> --kind <kind> --name <name> --community <id> --place <place kind>
                [--building <id>] [--unit <id>] [--household <id>] [--x <m>] [--y <m>]
                [--criticality life_safety|security|service] [--host <gateway host>] [--out <file>]
                  provision a device; its secret is printed once and the provisioning file written (mode 0600)
  device rotate <id> [--grace-minutes <n>] [--host <gateway host>] [--out <file>]
                  a new secret (printed once); the old one stops now or after the grace period`;

type Out = { ok: true; text: string } | { ok: false; code: number; text: string };

const cliPrincipal = (): Principal => ({
  userId: 'cli',
  username: `cli-${userInfo().username}`,
  role: 'admin',
  displayName: 'linli CLI',
  residentId: null,
  householdId: null,
  mustChangePassword: false,
  communityId: null,
});

const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));

function explain(err: unknown): Out {
  if (err instanceof AppError) return { ok: false, code: 65, text: `linli: ${err.message}` };
  if (err instanceof ZodError) {
    return { ok: false, code: 64, text: `linli: ${err.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ')}` };
  }
  throw err;
}

function secretText(r: DeviceSecretReply, out: string): string {
  writeFileSync(out, `${JSON.stringify(r.file, null, 2)}\n`, { mode: 0o600 });
  return [
    `linli: device ${r.device.id} (${r.device.kind}, supervised every ${r.device.supervisionSec} s)`,
    `  secret (shown once, never again): ${r.secret}`,
    `  provisioning file: ${out} (mode 0600; give it to the installer, then delete it)`,
    `  connects to: ${r.file.gateway?.mqttUrl ?? '?'}`,
  ].join('\n');
}

/** Runs `admin …` / `device …`; returns what to print and the exit code. */
export async function runAdminCommand(config: Config, group: 'admin' | 'device', argv: string[]): Promise<Out> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      role: { type: 'string' },
      name: { type: 'string' },
      community: { type: 'string' },
      kind: { type: 'string' },
      place: { type: 'string' },
      building: { type: 'string' },
      unit: { type: 'string' },
      household: { type: 'string' },
      x: { type: 'string' },
      y: { type: 'string' },
      criticality: { type: 'string' },
      host: { type: 'string' },
      out: { type: 'string' },
      'grace-minutes': { type: 'string' },
    },
  });
  const [verb, id] = positionals;
  if (id === undefined || (group === 'admin' && verb !== 'create') || (group === 'device' && verb !== 'create' && verb !== 'rotate')) {
    return { ok: false, code: 64, text: `usage:\n${ADMIN_USAGE}` };
  }
  const log = createLogger({ level: 'silent' });
  const db = await openStore(config.DATABASE_URL);
  try {
    const by = cliPrincipal();
    if (group === 'admin') {
      const users = createUserService({ repo: userRepo(db.prisma), log });
      const role = Role.parse(values.role ?? 'admin');
      const body = UserCreateBody.parse({ username: id, displayName: values.name ?? id, role, ...(values.community !== undefined ? { communityId: values.community } : {}) });
      const r = await users.create(by, body);
      return { ok: true, text: `linli: created ${r.user.role} ${r.user.username}\n  one-time password (shown once; to be changed at the first login): ${r.oneTimePassword}` };
    }
    const devices = createDeviceService({
      repo: deviceAdminRepo(db.prisma),
      // No broker in this process: a connected device keeps its session until it reconnects (see the top comment).
      broker: { disconnect: () => false },
      bus: new Bus(),
      reloadAccess: async () => undefined,
      credentialKey: loadOrCreateCredentialKey(dataDirectory(config), config.CREDENTIAL_KEY).key,
      kindSupervisionSec: supervisionByKind(config),
      endpoints: (host) => deviceEndpoints(host, { http: config.HTTP_PORT, mqtt: config.MQTT_PORT, ...(config.TLS_CERT_FILE !== undefined ? { mqtts: config.MQTT_TLS_PORT } : {}), httpTls: config.HTTP_TLS_CERT_FILE !== undefined }),
      log,
    });
    try {
      const host = values.host ?? 'localhost';
      const out = values.out ?? `linli-device-${id}.json`;
      if (verb === 'create') {
        const body = DeviceCreateBody.parse({
          id,
          kind: values.kind,
          name: values.name,
          communityId: values.community,
          placeKind: values.place,
          ...(values.building !== undefined ? { buildingId: values.building } : {}),
          ...(values.unit !== undefined ? { unitId: values.unit } : {}),
          ...(values.household !== undefined ? { householdId: values.household } : {}),
          ...(values.x !== undefined ? { x: num(values.x) } : {}),
          ...(values.y !== undefined ? { y: num(values.y) } : {}),
          ...(values.criticality !== undefined ? { criticality: values.criticality } : {}),
        });
        return { ok: true, text: secretText(await devices.create(by, body, host), out) };
      }
      return { ok: true, text: secretText(await devices.rotate(by, id, { graceMinutes: num(values['grace-minutes']) ?? 0 }, host), out) };
    } finally {
      devices.close();
    }
  } catch (err) {
    return explain(err);
  } finally {
    await db.close();
  }
}
