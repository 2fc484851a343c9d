/**
 * Seeds the demo community (长庆坊小区) into the database named by DATABASE_URL.
 *
 *   tsx prisma/seed.ts [--scale N] [--seed S] [--if-empty] [--secrets-file PATH]
 *
 * Run after `prisma migrate deploy`. `npm start` calls it with --if-empty so a fresh checkout comes up populated.
 */
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { openDb } from '../gateway/src/db/client';
import { Prisma } from '../gateway/src/db/generated/client';
import { generateCommunity } from '../gateway/src/demo/seed/community';
import { loadOrCreateCredentialKey } from '../gateway/src/auth/credential-key';
import { seedDatabase } from '../gateway/src/demo/seed/seed';

const USAGE = `usage: tsx prisma/seed.ts [--scale N] [--seed S] [--if-empty] [--secrets-file PATH]

  --scale N            buildings × N (1 ≈ 290 households, 14 ≈ 4,000); default 1
  --seed S             random seed, an integer 0-4294967295; default 1
  --if-empty           do nothing if the database already holds a community
  --secrets-file PATH  where device secrets and demo passwords go (mode 0600);
                       default <data dir>/device-secrets.json

environment: DATABASE_URL (default file:./data/linli.db), CREDENTIAL_KEY (else <data dir>/credential.key)`;

interface Args {
  scale: number;
  seed: number;
  ifEmpty: boolean;
  secretsFile: string | undefined;
  help: boolean;
}

function parse(argv: string[]): { ok: true; args: Args } | { ok: false; message: string } {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        scale: { type: 'string' },
        seed: { type: 'string' },
        'if-empty': { type: 'boolean', default: false },
        'secrets-file': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    return { ok: false, message: err instanceof Error ? err.message : String(err) };
  }
  const scale = integer(values.scale ?? '1', 1, 100);
  if (scale === null) return { ok: false, message: `--scale must be an integer from 1 to 100, got "${values.scale}"` };
  const seed = integer(values.seed ?? '1', 0, 0xffffffff);
  if (seed === null) return { ok: false, message: `--seed must be an integer from 0 to 4294967295, got "${values.seed}"` };
  if (values['secrets-file'] === '') return { ok: false, message: '--secrets-file must not be empty' };
  return { ok: true, args: { scale, seed, ifEmpty: values['if-empty'], secretsFile: values['secrets-file'], help: values.help } };
}

function integer(text: string, min: number, max: number): number | null {
  if (!/^\d+$/.test(text)) return null;
  const n = Number(text);
  return n >= min && n <= max ? n : null;
}

async function main(): Promise<number> {
  const parsed = parse(process.argv.slice(2));
  if (!parsed.ok) {
    console.error(`seed: ${parsed.message}\n\n${USAGE}`);
    return 2;
  }
  const { args } = parsed;
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const url = process.env.DATABASE_URL ?? 'file:./data/linli.db';
  if (!/^file:.+/.test(url)) {
    console.error(`seed: DATABASE_URL must be a SQLite file URL such as file:./data/linli.db, got "${url}"`);
    return 2;
  }
  const dbPath = url.slice('file:'.length);
  const dataDir = dirname(dbPath);
  const secretsFile = args.secretsFile ?? join(dataDir, 'device-secrets.json');

  const db = await openDb(dbPath);
  try {
    const existing = await db.prisma.community.findFirst({ select: { id: true, name: true } });
    if (existing !== null) {
      if (args.ifEmpty) {
        console.log(`seed: ${dbPath} already holds ${existing.name} (${existing.id}); nothing to do`);
        return 0;
      }
      console.error(
        `seed: ${dbPath} already holds ${existing.name} (${existing.id}); ` +
          'use --if-empty, or start from a new database file',
      );
      return 1;
    }

    const key = loadOrCreateCredentialKey(dataDir, process.env.CREDENTIAL_KEY);
    if (key.source === 'created') console.log(`seed: created credential key ${key.path} (back it up with the database)`);
    const plan = generateCommunity({ scale: args.scale, seed: args.seed });
    const report = await seedDatabase(db, plan, {
      credentialKey: key.key,
      secretsFile,
      log: (line) => console.log(`seed: ${line}`),
    });

    const d = report.devices;
    const c = report.credentials;
    const staff = plan.users.filter((u) => u.role !== 'resident').map((u) => `${u.username} (${u.role})`);
    const residentUsers = plan.users.filter((u) => u.role === 'resident');
    const seconds = (report.timings.totalMs / 1000).toFixed(1);
    console.log(
      [
        `seeded ${plan.community.name} (scale ${args.scale}, seed ${args.seed}) into ${dbPath} in ${seconds} s`,
        `  ${report.buildings} buildings, ${report.units} units, ${report.households} households, ${report.residents} residents`,
        `  devices: ${d.face_terminal} face terminals, ${d.vehicle_gate} vehicle gate, ${d.streetlight} streetlights, ` +
          `${d.outdoor_alarm} outdoor alarms, ${d.indoor_alarm} indoor alarms`,
        `  credentials: ${c.face} face, ${c.card} card, ${c.pin} PIN, ${c.plate} plate`,
        `  users: ${staff.join(', ')}, and ${residentUsers.length} residents (${residentUsers[0]?.username ?? '-'} …)`,
        `  passwords and device secrets are in ${report.secretsFile} (mode 0600); keep it private`,
      ].join('\n'),
    );
    return 0;
  } catch (err) {
    if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2021') {
      console.error(`seed: ${dbPath} has no tables yet; run \`npm run db:migrate\` first`);
      return 1;
    }
    throw err;
  } finally {
    await db.close();
  }
}

process.exitCode = await main();
