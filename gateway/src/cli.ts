#!/usr/bin/env node
// `linli <command>`: the operator's commands beside the gateway (bundled to dist/linli.mjs by `npm run build`;
// `npm run linli -- <command>`). Reads the same environment as the gateway (DATABASE_URL, CREDENTIAL_KEY, …).
//
//   linli migrate            apply pending prisma/migrations (what the gateway does at start unless AUTO_MIGRATE=false)
//   linli backup <file>      online backup of the database and the credential key into one file (mode 0600)
//   linli restore <file>     put a backup in place of the database and the key; the gateway must be stopped
//   linli admin create …     an account with a one-time password (admin-cli.ts)
//   linli device create|rotate …  provision a device / rotate its secret (admin-cli.ts)
//   linli import …           bulk import of households, residents, cards, plates, devices (transfer-cli.ts)
//   linli export …           the access log, alerts or audit log for a date range as CSV or XLSX
//   linli ready [--timeout S] wait until the running gateway's /readyz says ready (systemd ExecStartPost)
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Config, databasePath, isPostgres, loadConfig } from './config';
import { ADMIN_USAGE, runAdminCommand } from './admin-cli';
import { backupDatabase, restoreDatabase } from './db/backup';
import { migrateStorage, storageLabel } from './migrate-storage';
import { TRANSFER_USAGE, exportCommand, importCommand } from './transfer-cli';
import { probeHost, waitReady } from './runtime/wait-ready';

const USAGE = `usage: linli migrate | backup <file> | restore <file> | ready [--timeout S] | admin create … | device create|rotate … | import … | export …

  migrate         apply pending database migrations
  backup <file>   online backup (safe while the gateway runs) of the database and the credential key
  restore <file>  replace the database and credential key with a backup (stop the gateway first)
  ready [--timeout S]  wait (default 90 s) until the running gateway answers /readyz with ready; exit 1 if not
${ADMIN_USAGE}
${TRANSFER_USAGE}

environment: the gateway's (DATABASE_URL, CREDENTIAL_KEY, …), see docs/operations.md`;

// sysexits.h: EX_USAGE, EX_DATAERR, EX_CONFIG
const EX_USAGE = 64;
const EX_FAIL = 1;
const EX_CONFIG = 78;

const here = dirname(fileURLToPath(import.meta.url));

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? EX_USAGE : 0;
  }
  const loaded = loadConfig();
  if (!loaded.ok) {
    process.stderr.write(`linli: ${loaded.message}\n`);
    return EX_CONFIG;
  }
  const config = loaded.config;
  switch (command) {
    case 'migrate': {
      const r = await migrateStorage(config, here, true);
      if (!r.ok) {
        process.stderr.write(`linli: ${r.message}\n`);
        return EX_FAIL;
      }
      const where = storageLabel(config);
      process.stdout.write(r.applied.length ? `linli: applied ${r.applied.join(', ')} to ${where}\n` : `linli: ${where} is up to date\n`);
      return 0;
    }
    case 'backup':
    case 'restore':
      if (isPostgres(config)) {
        process.stderr.write('linli: backup and restore copy a SQLite file; with PostgreSQL use pg_dump / pg_restore or continuous archiving (docs/storage.md)\n');
        return EX_CONFIG;
      }
      return backupOrRestore(command, rest, config, databasePath(config));
    case 'admin':
    case 'device':
      return adminCommand(command, rest, config);
    case 'ready': {
      const timeout = rest[0] === '--timeout' && rest.length === 2 ? Number(rest[1]) : rest.length === 0 ? 90 : Number.NaN;
      if (!Number.isFinite(timeout) || timeout <= 0) {
        process.stderr.write(`linli: ready takes an optional --timeout <seconds>\n\n${USAGE}\n`);
        return EX_USAGE;
      }
      const r = await waitReady(`http://${probeHost(config.HTTP_HOST)}:${config.HTTP_PORT}/readyz`, timeout * 1000);
      if (!r.ok) {
        process.stderr.write(`linli: ${r.message}\n`);
        return EX_FAIL;
      }
      process.stdout.write(`linli: ready after ${(r.afterMs / 1000).toFixed(1)} s\n`);
      return 0;
    }
    case 'import':
      return importCommand(config, rest);
    case 'export':
      return exportCommand(config, rest);
    default:
      process.stderr.write(`linli: unknown command ${command}\n\n${USAGE}\n`);
      return EX_USAGE;
  }
}

/** `linli backup <file>` and `linli restore <file>`. */
async function backupOrRestore(command: 'backup' | 'restore', rest: string[], config: Config, dbPath: string): Promise<number> {
  if (rest.length !== 1 || rest[0] === '') {
    process.stderr.write(`linli: ${command} takes one file\n\n${USAGE}\n`);
    return EX_USAGE;
  }
  const file = rest[0]!;
  if (command === 'backup') {
    const r = await backupDatabase(dbPath, file, { credentialKey: config.CREDENTIAL_KEY });
    if (!r.ok) {
      process.stderr.write(`linli: ${r.message}\n`);
      return EX_FAIL;
    }
    process.stdout.write(`linli: backed up ${dbPath} and the credential key to ${r.file} (${r.bytes} bytes)\n`);
    return 0;
  }
  const r = restoreDatabase(file, dbPath, { keyFromEnv: config.CREDENTIAL_KEY !== undefined });
  if (!r.ok) {
    process.stderr.write(`linli: ${r.message}\n`);
    return EX_FAIL;
  }
  process.stdout.write(
    `linli: restored ${file} to ${dbPath}` +
      (r.keyFile ? ` and the credential key to ${r.keyFile}\n` : ' (CREDENTIAL_KEY is set: check it matches the backup)\n'),
  );
  return 0;
}

/** `linli admin …` and `linli device …` (admin-cli.ts), on a migrated schema. */
async function adminCommand(command: 'admin' | 'device', rest: string[], config: Config): Promise<number> {
  // The schema first, as the gateway would at start (AUTO_MIGRATE): a brand-new installation can begin here.
  const m = await migrateStorage(config, here, config.AUTO_MIGRATE);
  if (!m.ok) {
    process.stderr.write(`linli: ${m.message}\n`);
    return EX_CONFIG;
  }
  const r = await runAdminCommand(config, command, rest);
  if (!r.ok) {
    process.stderr.write(`${r.text}\n`);
    return r.code;
  }
  process.stdout.write(`${r.text}\n`);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
