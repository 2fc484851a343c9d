import { PassThrough } from 'node:stream';
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Role } from '../contracts';
import { ErrorReply, type Principal } from '../contracts/api/auth';
import { ExportParams, ExportQuery, ImportQuery, ImportReport, TemplateParams } from '../contracts/api/transfer';
import { AppError } from '../errors';
import { actorOf, principalOf, requireRole } from '../api/auth';
import { perUser } from '../api/limits';
import type { Logger } from '../log';
import { appendAudit } from '../db/export';
import { type ExportPlan, planExport, writeExport } from './export';
import { type ImportDeps, importFile } from './import';
import { template } from './templates';

/**
 * `store` (from ImportDeps) serves everything: the import's transaction, the audit rows, and the exports — on SQLite
 * each export opens its own read-only connection on the store's file, on PostgreSQL it takes a pooled connection
 * with a server-side cursor (db/export.ts).
 */
export interface TransferDeps extends ImportDeps {
  log: Logger;
  /** Largest file an upload may carry. */
  maxUploadBytes: number;
}

/**
 * Who may import and export: admins, and property managers once the user model has them (issue #15 item 3) — a
 * property manager whose principal names a compound is held to it. Guards and residents get 403.
 */
const STAFF: readonly string[] = ['admin', 'property_manager'];
export const TRANSFER_ROLES: Role[] = Role.options.filter((r) => STAFF.includes(r));

const Scoped = z.object({ communityId: z.string() });
/** The compound a principal is limited to, or null for a gateway-wide admin. */
export const scopeOf = (p: Principal): string | null => {
  const s = Scoped.safeParse(p);
  return s.success ? s.data.communityId : null;
};
function assertScope(p: Principal, communityId: string | undefined): void {
  const scope = scopeOf(p);
  if (scope !== null && scope !== communityId) throw new AppError('FORBIDDEN', `you manage compound ${scope} only`);
}

const errors = { 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 404: ErrorReply, 413: ErrorReply, 429: ErrorReply };
const security = [{ bearer: [] }];
const tags = ['import and export'];

/** RFC 6266: an ASCII fallback and the UTF-8 name. */
const attachment = (name: string) => `attachment; filename="${name.replace(/[^\x20-\x7e]|["\\]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(name)}`;

/**
 * POST /api/v1/transfer/import/dry-run and /import (multipart, one file), GET /import/templates/{file},
 * GET /export/{access|alerts|audit}. Multipart parsing is registered inside this plugin only.
 */
export function transferRoutes(deps: TransferDeps) {
  const log = deps.log.child({ module: 'transfer' });
  return async (app: FastifyInstance) => {
    await app.register(async (scope) => {
      await scope.register(multipart, { limits: { fileSize: deps.maxUploadBytes, files: 1, fields: 5, parts: 6 } });
      const r = scope.withTypeProvider<ZodTypeProvider>();
      const preHandler = requireRole(...TRANSFER_ROLES);

      async function upload(req: FastifyRequest): Promise<{ fileName: string; bytes: Buffer }> {
        if (!req.isMultipart()) throw new AppError('VALIDATION', 'send the file as multipart/form-data (field "file")');
        const part = await req.file();
        if (!part) throw new AppError('VALIDATION', 'no file in the upload');
        // toBuffer() answers 413 (RequestFileTooLargeError) beyond maxUploadBytes.
        return { fileName: part.filename || 'upload', bytes: await part.toBuffer() };
      }

      const run = (dryRun: boolean) => async (req: FastifyRequest, reply: FastifyReply) => {
        const p = principalOf(req);
        // Validated by the route schema already; parsed again for its type.
        const query = ImportQuery.parse(req.query);
        assertScope(p, query.communityId);
        const file = await upload(req);
        const report = await importFile(deps, { ...file, communityId: query.communityId, actor: actorOf(p), dryRun });
        // Counts only: rows carry names, phones and card numbers.
        log.info({ actor: actorOf(p), fileName: file.fileName, bytes: file.bytes.length, dryRun, ok: report.ok, issues: report.issuesTotal, counts: report.counts }, dryRun ? 'import checked' : report.ok ? 'import committed' : 'import refused');
        if (!dryRun && !report.ok) await appendAudit(deps.store, { actor: actorOf(p), action: 'import.refused', entity: 'Community', entityId: query.communityId, detail: { fileName: file.fileName, issues: report.issuesTotal } });
        return reply.code(report.ok ? 200 : 422).send(report);
      };

      const importSchema = (summary: string) => ({
        tags,
        summary,
        security,
        consumes: ['multipart/form-data'],
        querystring: ImportQuery,
        response: { 200: ImportReport, 422: ImportReport, ...errors },
      });
      r.post('/api/v1/transfer/import/dry-run', { preHandler, config: perUser(30, 60_000), schema: importSchema('Check a CSV/XLSX file: every bad row with its row, column and reason; nothing is written') }, run(true));
      r.post('/api/v1/transfer/import', { preHandler, config: perUser(30, 60_000), schema: importSchema('Import a CSV/XLSX file in one transaction (422 and nothing written while a row is bad); new device secrets come once in secretsFile') }, run(false));

      r.get('/api/v1/transfer/import/templates/:file', {
        preHandler,
        schema: { tags, summary: 'The import template (residents or devices, CSV or XLSX)', security, params: TemplateParams },
      }, async (req, reply) => {
        const [kind, format] = req.params.file.split('.');
        const body = await template(kind === 'devices' ? 'devices' : 'residents', format === 'xlsx' ? 'xlsx' : 'csv');
        return reply
          .header('content-type', format === 'xlsx' ? 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' : 'text/csv; charset=utf-8')
          .header('content-disposition', attachment(`linli-${req.params.file}`))
          .send(body);
      });

      r.get('/api/v1/transfer/export/:kind', {
        preHandler,
        config: perUser(10, 60_000),
        schema: { tags, summary: 'Stream the access log, alerts with their history, or the audit log for whole days in the compound\u2019s time zone', security, params: ExportParams, querystring: ExportQuery, response: { 200: z.unknown().describe('the file, streamed (text/csv or XLSX)'), ...errors } },
      }, async (req, reply) => {
        const p = principalOf(req);
        // The audit log is gateway-wide: a manager of one compound does not read it.
        if (req.params.kind === 'audit' && scopeOf(p) !== null) throw new AppError('FORBIDDEN', 'the audit log is for gateway administrators');
        if (scopeOf(p) !== null) assertScope(p, req.query.communityId);
        const plan: ExportPlan = await planExport(deps.store, req.params.kind, req.query);
        await appendAudit(deps.store, { actor: actorOf(p), action: 'export', entity: 'Export', entityId: req.params.kind, detail: { from: req.query.from, to: req.query.to, format: plan.format, communityId: req.query.communityId ?? null } });
        const out = new PassThrough();
        const started = Date.now();
        writeExport(plan, out).then(
          (rows) => log.info({ actor: actorOf(p), kind: plan.kind, format: plan.format, rows, ms: Date.now() - started }, 'export sent'),
          (err: unknown) => {
            log.error({ err, kind: plan.kind }, 'export failed midway');
            out.destroy(err instanceof Error ? err : new Error(String(err)));
          },
        );
        return reply
          .header('content-type', plan.format === 'xlsx' ? 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' : 'text/csv; charset=utf-8')
          .header('content-disposition', attachment(plan.fileName))
          .send(out);
      });
    });
  };
}
