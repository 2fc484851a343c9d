import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Alert, AlertIdParams, OnSiteBody } from '../contracts/api/alerts';
import { ErrorReply, type Principal } from '../contracts/api/auth';
import {
  ComplianceQuery,
  ComplianceReport,
  FieldAlert,
  FieldAlertList,
  FieldHome,
  GridDeviceList,
  GridMemberParams,
  GridParams,
  GridWorkerBody,
  GridWorkerList,
  OutcomeBody,
  PATROL_PHOTO_MAX_BYTES,
  PatrolBody,
  PatrolReportView,
} from '../contracts/api/field';
import { localMonth } from '../contracts/zone';
import { principalOf, requireRole } from '../api/auth';
import type { FeatureRoutes } from '../api/routes';
import type { FieldRepo } from '../db/field';
import { AppError } from '../errors';
import type { Field } from './field';
import { answer } from './routes';

const worker = requireRole('grid_worker');
const readers = requireRole('grid_worker', 'guard', 'admin', 'property_manager');
const managers = requireRole('admin', 'property_manager');
const security = [{ bearer: [] }];
const errors = { 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 404: ErrorReply, 409: ErrorReply };
/** A patrol report with its photo in base64 (4/3 of the bytes) and the JSON around it. */
const PATROL_BODY_LIMIT = Math.ceil(PATROL_PHOTO_MAX_BYTES / 3) * 4 + 16_384;

/** What the field routes use. */
interface FieldRouteDeps {
  field: Field;
  repo: FieldRepo;
  onSiteMin: number;
  now: () => Date;
}

const myGrids = async (repo: FieldRepo, req: FastifyRequest) => (await repo.gridsOf(principalOf(req).userId)).map((g) => g.id);

/** An alert of the caller's grids that reached them, or 404. */
async function mine(deps: FieldRouteDeps, req: FastifyRequest, id: string): Promise<FieldAlert> {
  const a = await deps.field.mine(await myGrids(deps.repo, req), id);
  if (!a) throw new AppError('NOT_FOUND', 'no such alert');
  return a;
}

/** A grid the caller may manage or read: any for admins and guards, their compound's for a property manager. */
async function gridFor(repo: FieldRepo, p: Principal, gridId: string) {
  const g = await repo.grid(gridId);
  if (!g || (p.role === 'property_manager' && g.communityId !== p.communityId)) throw new AppError('NOT_FOUND', 'no such grid');
  return g;
}

/**
 * /api/v1/field/…: the phone app's field-staff screens (alerts of their grids, on site, outcome, patrol reports),
 * the on-site compliance report (also for the guard station's statistics), and which workers and devices a grid has.
 */
export function fieldRoutes(deps: FieldRouteDeps): FeatureRoutes {
  return async (app) => {
    fieldWorkRoutes(app, deps);
    fieldReportRoutes(app, deps);
    gridAdminRoutes(app, deps);
  };
}

/** The field worker's own screens: home, the alerts that reached them, on site, outcome, a patrol report. */
function fieldWorkRoutes(app: FastifyInstance, deps: FieldRouteDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { field, repo, onSiteMin } = deps;
  r.get('/api/v1/field/home', {
    preHandler: worker,
    schema: { tags: ['field'], summary: "The field worker's grids and the five-minute rule", security, response: { 200: FieldHome, ...errors } },
  }, async (req) => ({ grids: await repo.gridsOf(principalOf(req).userId), onSiteMinutes: onSiteMin }));

  r.get('/api/v1/field/alerts', {
    preHandler: worker,
    schema: { tags: ['field'], summary: 'Alerts of my grids that reached me (escalated past the guard station, or found on patrol)', security, response: { 200: FieldAlertList, ...errors } },
  }, async (req) => ({ alerts: await field.routed(await myGrids(repo, req)) }));

  r.post('/api/v1/field/alerts/:id/on-site', {
    preHandler: worker,
    schema: {
      tags: ['field'],
      summary: 'I am on site (five-minute rule); later than the rule, `lateReason` is required (400 without it)',
      security, params: AlertIdParams, body: OnSiteBody, response: { 200: Alert, ...errors },
    },
  }, async (req) => {
    const a = await mine(deps, req, req.params.id);
    return answer(await field.onSite(a.id, principalOf(req).username, req.body.note ?? null, req.body.lateReason ?? null));
  });

  r.post('/api/v1/field/alerts/:id/outcome', {
    preHandler: worker,
    schema: { tags: ['field'], summary: 'Record the outcome: resolved clears the case with the note, otherwise the note is recorded', security, params: AlertIdParams, body: OutcomeBody, response: { 200: Alert, ...errors } },
  }, async (req) => {
    const a = await mine(deps, req, req.params.id);
    if (a.status === 'cleared') throw new AppError('CONFLICT', 'the alert is already cleared', { details: { clearedBy: a.clearedBy, clearedAt: a.clearedAt } });
    return answer(await field.outcome(a, principalOf(req).username, req.body.resolved, req.body.note));
  });

  r.post('/api/v1/field/patrol', {
    preHandler: worker,
    bodyLimit: PATROL_BODY_LIMIT,
    schema: { tags: ['field'], summary: 'Report a problem found on patrol; it becomes a patrol_report alert', security, body: PatrolBody, response: { 201: PatrolReportView, ...errors, 503: ErrorReply } },
  }, async (req, reply) => {
    if (!(await myGrids(repo, req)).includes(req.body.gridId)) throw new AppError('VALIDATION', 'not one of your grids', { issues: [{ path: '/gridId', message: 'not one of your grids' }] });
    const out = await field.patrol(req.body, principalOf(req).username);
    if (!out.ok) throw new AppError(out.code, out.message, out.path !== undefined ? { issues: [{ path: out.path, message: out.message }] } : {});
    return reply.code(201).send(out.value);
  });
}

/** A patrol report's photo, and the on-site compliance report per grid. */
function fieldReportRoutes(app: FastifyInstance, deps: FieldRouteDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { field, repo, onSiteMin, now } = deps;
  r.get('/api/v1/field/alerts/:id/photo', {
    preHandler: readers,
    schema: { tags: ['field'], summary: "A patrol report's photo", security, params: AlertIdParams },
  }, async (req, reply) => {
    const p = principalOf(req);
    const photo = await repo.patrolPhoto(req.params.id);
    if (!photo) throw new AppError('NOT_FOUND', 'no photo');
    if (p.role === 'grid_worker' && !(await myGrids(repo, req)).includes(photo.gridId)) throw new AppError('NOT_FOUND', 'no photo');
    if (p.role === 'property_manager') await gridFor(repo, p, photo.gridId).catch(() => {
      throw new AppError('NOT_FOUND', 'no photo');
    });
    return reply.header('content-type', photo.type).header('cache-control', 'private, max-age=3600').header('x-content-type-options', 'nosniff').send(photo.bytes);
  });

  r.get('/api/v1/field/compliance', {
    preHandler: readers,
    schema: {
      tags: ['field'],
      summary: 'On-site compliance per grid for a month (share on site within the five-minute rule, late arrivals with their reasons)',
      security, querystring: ComplianceQuery, response: { 200: ComplianceReport, ...errors },
    },
  }, async (req) => {
    const p = principalOf(req);
    let grids = p.role === 'grid_worker' ? (await repo.gridsOf(p.userId)).map((g) => ({ id: g.id, name: g.name, communityId: g.compoundId, timezone: g.timezone })) : await repo.gridsIn(p.role === 'property_manager' ? p.communityId : null);
    if (req.query.gridId !== undefined) grids = grids.filter((g) => g.id === req.query.gridId);
    const timezone = grids[0]?.timezone ?? (await repo.defaultZone());
    const month = req.query.month ?? localMonth(now(), timezone);
    const rows = [];
    for (const g of grids) rows.push(await field.compliance(g, month));
    return { month, timezone, onSiteMinutes: onSiteMin, rows };
  });
}

/** Administration: a grid's workers (grid_worker accounts) and the devices in its care. */
function gridAdminRoutes(app: FastifyInstance, deps: FieldRouteDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { repo, now } = deps;
  r.get('/api/v1/field/grids/:gridId/workers', {
    preHandler: managers,
    schema: { tags: ['field'], summary: "A grid's field workers", security, params: GridParams, response: { 200: GridWorkerList, ...errors } },
  }, async (req) => {
    await gridFor(repo, principalOf(req), req.params.gridId);
    return { workers: await repo.workers(req.params.gridId) };
  });
  r.post('/api/v1/field/grids/:gridId/workers', {
    preHandler: managers,
    schema: { tags: ['field'], summary: 'Add a grid_worker account to a grid', security, params: GridParams, body: GridWorkerBody, response: { 200: GridWorkerList, ...errors } },
  }, async (req) => {
    const p = principalOf(req);
    await gridFor(repo, p, req.params.gridId);
    const out = await repo.addWorker(req.params.gridId, req.body.username, p.username, now());
    if (out === 'no_user') throw new AppError('VALIDATION', 'no grid_worker account with this user name', { issues: [{ path: '/username', message: 'no grid_worker account with this user name' }] });
    return { workers: await repo.workers(req.params.gridId) };
  });
  r.delete('/api/v1/field/grids/:gridId/workers/:key', {
    preHandler: managers,
    schema: { tags: ['field'], summary: 'Remove a worker (by user id) from a grid', security, params: GridMemberParams, response: { 204: z.null(), ...errors } },
  }, async (req, reply) => {
    const p = principalOf(req);
    await gridFor(repo, p, req.params.gridId);
    if (!(await repo.removeWorker(req.params.gridId, req.params.key, p.username, now()))) throw new AppError('NOT_FOUND', 'not a worker of this grid');
    return reply.code(204).send(null);
  });
  r.get('/api/v1/field/grids/:gridId/devices', {
    preHandler: managers,
    schema: { tags: ['field'], summary: 'Devices in the care of a grid (lamps, outdoor posts)', security, params: GridParams, response: { 200: GridDeviceList, ...errors } },
  }, async (req) => {
    await gridFor(repo, principalOf(req), req.params.gridId);
    return { deviceIds: await repo.devices(req.params.gridId) };
  });
  r.put('/api/v1/field/grids/:gridId/devices/:key', {
    preHandler: managers,
    schema: { tags: ['field'], summary: "Put a device (by id) in the grid's care; a device is in one grid's care at most", security, params: GridMemberParams, response: { 200: GridDeviceList, ...errors } },
  }, async (req) => {
    const p = principalOf(req);
    const g = await gridFor(repo, p, req.params.gridId);
    if ((await repo.setDevice(g.id, g.communityId, req.params.key, p.username, now())) === 'no_device') throw new AppError('VALIDATION', 'no such device in this compound');
    return { deviceIds: await repo.devices(g.id) };
  });
  r.delete('/api/v1/field/grids/:gridId/devices/:key', {
    preHandler: managers,
    schema: { tags: ['field'], summary: "Take a device out of the grid's care", security, params: GridMemberParams, response: { 204: z.null(), ...errors } },
  }, async (req, reply) => {
    const p = principalOf(req);
    await gridFor(repo, p, req.params.gridId);
    if (!(await repo.removeDevice(req.params.gridId, req.params.key, p.username, now()))) throw new AppError('NOT_FOUND', 'not in this grid');
    return reply.code(204).send(null);
  });
}
