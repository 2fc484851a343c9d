import { createWriteStream, readFileSync, statSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { basename } from 'node:path';
import { finished } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { alertSettings } from './alerts/settings';
import { type Config, dataDirectory } from './config';
import { ExportKind, ExportQuery, type ImportReport } from './contracts/api/transfer';
import { type Store, openStore } from './db/store';
import { appendAudit } from './db/export';
import { loadOrCreateCredentialKey } from './auth/credential-key';
import { AppError } from './errors';
import { planExport, writeExport } from './transfer/export';
import { importFile } from './transfer/import';

export const TRANSFER_USAGE = `  import <file> --community <id> [--dry-run] [--secrets <file>]
                  households, residents, cards, plates and devices from CSV or XLSX; nothing is written while a
                  row is bad (each is listed); new devices' secrets go once to --secrets (default
                  ./device-secrets-<time>.csv, mode 0600). A running gateway sees the rows after a restart:
                  while it runs, import through its HTTP API instead (docs/administration.md)
  export <access|alerts|audit> --from YYYY-MM-DD --to YYYY-MM-DD [--format csv|xlsx] [--community <id>] <file>
                  whole days in the compound's time zone, streamed to <file>`;

const EX_USAGE = 64;
const EX_DATAERR = 65;
const EX_FAIL = 1;
const MAX_FILE_BYTES = 20 * 1024 * 1024;

const actor = () => `cli:${userInfo().username}`;
const fail = (code: number, message: string) => {
  process.stderr.write(`linli: ${message}\n`);
  return code;
};

function printReport(r: ImportReport): void {
  const c = r.counts;
  const line = (what: string, t: { created: number; updated: number; unchanged: number }) => `  ${what.padEnd(11)} ${t.created} new, ${t.updated} changed, ${t.unchanged} unchanged\n`;
  process.stdout.write(`${r.dryRun ? 'dry run of' : 'import of'} ${r.fileName} into ${r.communityId}: ${r.ok ? (r.dryRun ? 'clean, nothing written' : 'done') : `${r.issuesTotal} bad row(s), nothing written`}\n`);
  for (const s of r.sheets) process.stdout.write(`  sheet ${s.name}: ${s.rows} row(s) of ${s.kind}\n`);
  for (const i of r.issues) process.stdout.write(`  ✗ ${i.sheet ? `${i.sheet} ` : ''}row ${i.row}${i.column ? `, ${i.column}` : ''}: ${i.reason}\n`);
  if (r.issuesTotal > r.issues.length) process.stdout.write(`  … and ${r.issuesTotal - r.issues.length} more\n`);
  if (r.ok) for (const [k, t] of Object.entries(c)) process.stdout.write(line(k, t));
  for (const n of r.notes) process.stdout.write(`  note: ${n}\n`);
}

export async function importCommand(config: Config, argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({ args: argv, allowPositionals: true, options: { community: { type: 'string' }, 'dry-run': { type: 'boolean' }, secrets: { type: 'string' } } });
  } catch (err) {
    return fail(EX_USAGE, err instanceof Error ? err.message : String(err));
  }
  const [file] = args.positionals;
  const community = args.values.community;
  if (args.positionals.length !== 1 || file === undefined || community === undefined) return fail(EX_USAGE, `import takes one file and --community <id>\n\n${TRANSFER_USAGE}`);
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return fail(EX_USAGE, `cannot read ${file}`);
  }
  if (size > MAX_FILE_BYTES) return fail(EX_DATAERR, `${file} is larger than ${MAX_FILE_BYTES} bytes: split it`);
  const key = loadOrCreateCredentialKey(dataDirectory(config), config.CREDENTIAL_KEY);
  const db = await openStore(config.DATABASE_URL);
  try {
    const report = await importFile(
      { store: db, credentialKey: key.key, supervisionSec: alertSettings(config).supervisionSec, afterCommit: async () => undefined },
      { fileName: basename(file), bytes: readFileSync(file), communityId: community, actor: actor(), dryRun: args.values['dry-run'] === true },
    );
    if (!report.ok && !report.dryRun) await appendAudit(db, { actor: actor(), action: 'import.refused', entity: 'Community', entityId: community, detail: { fileName: basename(file), issues: report.issuesTotal } });
    printReport(report);
    if (report.secretsFile) {
      const out = args.values.secrets ?? report.secretsFile.name;
      // The only copy of the new devices' secrets: readable by this user only.
      writeFileSync(out, report.secretsFile.content, { mode: 0o600, flag: 'wx' });
      process.stdout.write(`  device secrets (shown nowhere else): ${out}\n`);
    }
    return report.ok ? 0 : EX_DATAERR;
  } finally {
    await db.close();
  }
}

export async function exportCommand(config: Config, argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({ args: argv, allowPositionals: true, options: { from: { type: 'string' }, to: { type: 'string' }, format: { type: 'string' }, community: { type: 'string' } } });
  } catch (err) {
    return fail(EX_USAGE, err instanceof Error ? err.message : String(err));
  }
  const [what, file] = args.positionals;
  const kind = ExportKind.safeParse(what);
  const query = ExportQuery.safeParse({ from: args.values.from, to: args.values.to, format: args.values.format ?? (file?.endsWith('.xlsx') ? 'xlsx' : 'csv'), ...(args.values.community ? { communityId: args.values.community } : {}) });
  if (!kind.success || file === undefined || args.positionals.length !== 2) return fail(EX_USAGE, `export takes access, alerts or audit and a file\n\n${TRANSFER_USAGE}`);
  if (!query.success) return fail(EX_USAGE, query.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`).join('; '));
  let db: Store;
  try {
    db = await openStore(config.DATABASE_URL);
  } catch (err) {
    return fail(EX_FAIL, err instanceof Error ? err.message : String(err));
  }
  try {
    const plan = await planExport(db, kind.data, query.data);
    const out = createWriteStream(file, { mode: 0o600 });
    const started = Date.now();
    const rows = await writeExport(plan, out);
    if (!out.writableFinished) await finished(out);
    await appendAudit(db, { actor: actor(), action: 'export', entity: 'Export', entityId: kind.data, detail: { from: query.data.from, to: query.data.to, format: plan.format, file: basename(file) } });
    process.stdout.write(`linli: ${rows} row(s) of ${kind.data} (${query.data.from} to ${query.data.to}, ${plan.timezone}) written to ${file} in ${Date.now() - started} ms\n`);
    return 0;
  } catch (err) {
    if (err instanceof AppError) return fail(EX_USAGE, err.message);
    return fail(EX_FAIL, err instanceof Error ? err.message : String(err));
  } finally {
    await db.close();
  }
}
