import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isoStored } from '../gateway/src/db/time';
import { addAccessCompound } from './helpers/fixtures';
import { type TestGateway, sqliteDb, startGateway } from './helpers/gateway';
import { apiClient } from './helpers/http';

const ROWS = 200_000;
const DAY = '2026-11-20';

/**
 * A month of a 4,000-household compound is a few hundred thousand door decisions. The export streams them: the
 * process's memory must not grow with the row count. The bound is loose (the machine is shared and the collector
 * runs when it likes); the numbers are printed, and docs/benchmarks.md has the measured figures.
 */
describe('streaming export', () => {
  let t: TestGateway;
  let admin: string;

  beforeAll(async () => {
    t = await startGateway();
    const c = await addAccessCompound(t.gw.db.prisma, t.gw.credentialKey);
    admin = await apiClient(t.httpUrl).login(c.users.admin);
    // 200,000 decisions over one Shanghai day (2026-11-19 16:00Z .. 2026-11-20 16:00Z), inserted in one transaction.
    const raw = sqliteDb(t.gw).raw;
    const insert = raw.prepare(
      "INSERT INTO AccessEvent (id, deviceId, requestId, at, receivedAt, direction, credentialType, decision, reason, residentId, householdId, offline) VALUES (?, ?, ?, ?, ?, 'in', 'card', ?, ?, ?, 'hh-a', 0)",
    );
    const start = Date.parse('2026-11-19T16:00:00Z');
    const doors = Object.values(c.doors).map((d) => d.id);
    const salt = randomBytes(4).toString('hex');
    raw.transaction(() => {
      for (let i = 0; i < ROWS; i++) {
        const at = isoStored(new Date(start + Math.floor((i * 86_400_000) / ROWS)));
        insert.run(`ae-${salt}-${i}`, doors[i % doors.length], `rq-${i}`, at, at, i % 7 === 0 ? 'deny' : 'grant', i % 7 === 0 ? 'unknown_credential' : 'resident', c.residents.a);
      }
    })();
  }, 300_000);
  afterAll(async () => {
    await t?.close();
  });

  for (const format of ['csv', 'xlsx'] as const) {
    it(`streams ${ROWS} access rows as ${format} with bounded memory`, { timeout: 300_000 }, async () => {
      global.gc?.();
      const before = process.memoryUsage().rss;
      let peak = before;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
      const started = Date.now();
      const res = await fetch(`${t.httpUrl}/api/v1/transfer/export/access?from=${DAY}&to=${DAY}&format=${format}`, { headers: { authorization: `Bearer ${admin}` } });
      expect(res.status).toBe(200);
      let bytes = 0;
      let newlines = 0;
      const chunks: Buffer[] = [];
      if (!res.body) throw new Error('no body');
      const reader = res.body.getReader();
      for (;;) {
        const next = await reader.read();
        if (next.done) break;
        const b = Buffer.from(next.value);
        bytes += b.length;
        if (format === 'csv') for (let i = b.indexOf(10); i !== -1; i = b.indexOf(10, i + 1)) newlines++;
        else chunks.push(b); // the XLSX is read back below; its bytes are counted out of the growth
      }
      clearInterval(sampler);
      const ms = Date.now() - started;
      const growthMb = (peak - before) / 1048576 - (format === 'xlsx' ? bytes / 1048576 : 0);
      console.log(`export ${format}: ${ROWS} rows, ${(bytes / 1048576).toFixed(1)} MB in ${ms} ms; rss ${(before / 1048576).toFixed(0)} MB → peak ${(peak / 1048576).toFixed(0)} MB (growth less the file: ${growthMb.toFixed(0)} MB)`);
      if (format === 'csv') expect(newlines).toBe(ROWS + 1);
      else {
        const ExcelJS = (await import('exceljs')).default;
        const reader = new ExcelJS.stream.xlsx.WorkbookReader(Readable.from(chunks), { sharedStrings: 'cache', worksheets: 'emit' });
        let rows = 0;
        for await (const ws of reader) for await (const _row of ws) rows++;
        expect(rows).toBe(ROWS + 1);
      }
      // Buffering the rows would cost well over this (200,000 rows of 12 columns as JS objects).
      expect(growthMb).toBeLessThan(200);
    });
  }
});
