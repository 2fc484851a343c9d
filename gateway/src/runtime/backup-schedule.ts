import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { newestBackupTime, pruneBackups, scheduledBackupName } from '../db/backup';
import type { Logger } from '../log';

const DAY_MS = 24 * 3_600_000;

/**
 * Daily online backups into `dir` (BACKUP_DIR), the newest `keep` kept. The copy runs in a child process
 * (`linli backup`): better-sqlite3 is synchronous, and copying a large database on the gateway's own thread would
 * stop MQTT for as long as it takes. Checked hourly and at start, so a gateway restarted every few hours still
 * backs up once a day.
 */
export function startBackupSchedule(opts: { dir: string; keep: number; log: Logger; checkEveryMs?: number }): { stop(): void } {
  const cli = cliCommand();
  let running = false;
  const check = () => {
    if (running) return;
    const last = newestBackupTime(opts.dir);
    if (last !== null && Date.now() - last.getTime() < DAY_MS) return;
    mkdirSync(opts.dir, { recursive: true });
    const file = join(opts.dir, scheduledBackupName(new Date()));
    running = true;
    const started = Date.now();
    const child = spawn(cli[0]!, [...cli.slice(1), 'backup', file], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('close', (code) => {
      running = false;
      if (code !== 0) {
        opts.log.error({ file, code, stderr: stderr.trim() }, 'scheduled backup failed');
        return;
      }
      const pruned = pruneBackups(opts.dir, opts.keep);
      opts.log.info({ file, ms: Date.now() - started, pruned }, 'scheduled backup written');
    });
  };
  check();
  const timer = setInterval(check, opts.checkEveryMs ?? 3_600_000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/** The `linli` command beside this module: dist/linli.mjs in a build, gateway/src/cli.ts under tsx. */
function cliCommand(): string[] {
  const here = import.meta.url;
  const bundled = fileURLToPath(new URL('./linli.mjs', here));
  if (existsSync(bundled)) return [process.execPath, bundled];
  const source = fileURLToPath(new URL(here.endsWith('.ts') ? '../cli.ts' : './cli.ts', here));
  return [process.execPath, ...process.execArgv, source];
}
