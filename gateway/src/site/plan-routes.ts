import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf, principalOf, requireRole } from '../api/auth';
import type { FeatureRoutes } from '../api/routes';
import { ErrorReply, type Principal } from '../contracts/api/auth';
import { DRAWING_MAX_BYTES, DrawingMeta, PlacementBody, PlacementParams, PlanCompoundParam, PlanCompounds, PlanEditor, PlanItem } from '../contracts/api/site-plan';
import type { SitePlanRepo } from '../db/site-plan';
import { AppError } from '../errors';
import type { Logger } from '../log';
import { checkDrawing } from './drawing';

export interface PlanRouteDeps {
  plans: SitePlanRepo;
  /** Something on a plan changed: maps that are open reload it. */
  changed: () => void;
  now: () => Date;
  log: Logger;
}

const errors = { 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 404: ErrorReply, 409: ErrorReply, 413: ErrorReply };
const security = [{ bearer: [] }];
const tags = ['site plan'];
const editors = requireRole('admin', 'property_manager');
const viewers = requireRole('guard', 'admin', 'property_manager');

/**
 * A compound the caller may touch: an admin any (unless their account names one), a property manager only theirs.
 * Outside it is a 404, as for an id that does not exist.
 */
export function scopeOf(p: Principal): string | null {
  return p.communityId !== null && p.communityId !== '' ? p.communityId : null;
}

function assertCompound(p: Principal, communityId: string) {
  if (p.role === 'property_manager' && scopeOf(p) === null) throw new AppError('FORBIDDEN', 'a property manager must be assigned to a compound');
  const scope = scopeOf(p);
  if (scope !== null && scope !== communityId) throw new AppError('NOT_FOUND', 'no such compound');
}

/**
 * Content-Security-Policy of a served drawing: opened on its own in a browser tab, an SVG is a document — this
 * policy runs no script in it, loads nothing, and sandboxes it (no same-origin access to the guard station).
 */
const DRAWING_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox";

export function planRoutes(deps: PlanRouteDeps): FeatureRoutes {
  return async (app) => registerPlanRoutes(app, deps);
}

/** The compound, when the caller may touch it; a 404 otherwise. */
async function compoundOr404(plans: SitePlanRepo, req: FastifyRequest, communityId: string) {
  assertCompound(principalOf(req), communityId);
  const c = await plans.compound(communityId);
  if (!c) throw new AppError('NOT_FOUND', 'no such compound');
  return c;
}

async function registerPlanRoutes(app: FastifyInstance, deps: PlanRouteDeps) {
  const log = deps.log.child({ module: 'site-plan' });
  // Raw bytes, parsed only inside this plugin: the drawing's type is decided from its content (drawing.ts).
  await app.register(async (scope) => {
    scope.addContentTypeParser(['image/png', 'image/svg+xml', 'application/octet-stream'], { parseAs: 'buffer', bodyLimit: DRAWING_MAX_BYTES }, (_req, body, done) => done(null, body));
    editorRoutes(scope, deps);
    drawingRoutes(scope, deps, log);
    placementRoutes(scope, deps);
  });
}

/** The compounds whose plan the caller may draw, and one compound's drawing with every item's position. */
function editorRoutes(app: FastifyInstance, deps: PlanRouteDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { plans } = deps;
  r.get('/api/v1/site/plans', {
    preHandler: editors,
    schema: { tags, summary: 'Compounds whose site plan the caller may draw, and whether each has a drawing', security, response: { 200: PlanCompounds, ...errors } },
  }, async (req) => {
    const p = principalOf(req);
    if (p.role === 'property_manager' && scopeOf(p) === null) throw new AppError('FORBIDDEN', 'a property manager must be assigned to a compound');
    return { compounds: await plans.compounds(scopeOf(p)) };
  });

  r.get('/api/v1/site/plans/:communityId', {
    preHandler: editors,
    schema: { tags, summary: 'A compound\u2019s drawing and its buildings, doors, lamps and alarm posts with their positions on it', security, params: PlanCompoundParam, response: { 200: PlanEditor, ...errors } },
  }, async (req) => {
    const community = await compoundOr404(plans, req, req.params.communityId);
    const [drawing, items] = await Promise.all([plans.meta(community.id), plans.items(community.id)]);
    return { community, drawing, items };
  });
}

/** A compound's drawing: upload or replace, serve (inert), remove. */
function drawingRoutes(app: FastifyInstance, deps: PlanRouteDeps, log: Logger): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { plans } = deps;
  r.put('/api/v1/site/plans/:communityId/drawing', {
    preHandler: editors,
    bodyLimit: DRAWING_MAX_BYTES,
    schema: {
      tags,
      summary: `Upload (or replace) the compound\u2019s drawing: the PNG or SVG file as the body (up to ${DRAWING_MAX_BYTES / 1024 / 1024} MB); its type is read from its content, an SVG with scripts is refused`,
      security,
      consumes: ['image/png', 'image/svg+xml', 'application/octet-stream'],
      params: PlanCompoundParam,
      response: { 200: DrawingMeta, ...errors },
    },
  }, async (req) => {
    const community = await compoundOr404(plans, req, req.params.communityId);
    const body: unknown = req.body;
    if (!Buffer.isBuffer(body)) throw new AppError('VALIDATION', 'send the image file itself as the body (Content-Type image/png, image/svg+xml or application/octet-stream)');
    const check = checkDrawing(body);
    if (!check.ok) throw new AppError('VALIDATION', check.reason, { issues: [{ path: '/', message: check.reason }] });
    const actor = actorOf(principalOf(req));
    const meta = await plans.saveDrawing(community.id, { contentType: check.contentType, width: check.width, height: check.height, bytes: body }, actor, deps.now());
    log.info({ actor, communityId: community.id, contentType: meta.contentType, bytes: meta.bytes, width: meta.width, height: meta.height }, 'site plan drawing uploaded');
    deps.changed();
    return meta;
  });

  r.get('/api/v1/site/plans/:communityId/drawing', {
    preHandler: viewers,
    schema: { tags, summary: 'The drawing itself (image/png or image/svg+xml), served inert: sandboxed, no script, never sniffed', security, params: PlanCompoundParam, response: { 200: z.unknown().describe('the image'), ...errors } },
  }, async (req, reply) => {
    assertCompound(principalOf(req), req.params.communityId);
    const d = await plans.drawing(req.params.communityId);
    if (!d) throw new AppError('NOT_FOUND', 'this compound has no drawing');
    const svg = d.contentType === 'image/svg+xml';
    return reply
      .header('content-type', svg ? 'image/svg+xml' : 'image/png')
      .header('content-security-policy', DRAWING_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('content-disposition', `inline; filename="site-plan-${req.params.communityId.replace(/[^\w-]/g, '_')}.${svg ? 'svg' : 'png'}"`)
      .header('cache-control', 'private, no-cache')
      .header('etag', `"${d.sha256}"`)
      .send(Buffer.from(d.bytes));
  });

  r.delete('/api/v1/site/plans/:communityId/drawing', {
    preHandler: editors,
    schema: { tags, summary: 'Remove the drawing: the map shows the generated grid again (positions are kept)', security, params: PlanCompoundParam, response: { 204: z.null(), ...errors } },
  }, async (req, reply) => {
    const community = await compoundOr404(plans, req, req.params.communityId);
    if (!(await plans.removeDrawing(community.id, actorOf(principalOf(req)), deps.now()))) throw new AppError('NOT_FOUND', 'this compound has no drawing');
    deps.changed();
    return reply.code(204).send(null);
  });
}

/** Placing, moving and unplacing a building or a device on the drawing. */
function placementRoutes(app: FastifyInstance, deps: PlanRouteDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { plans } = deps;
  r.put('/api/v1/site/plans/:communityId/placements/:kind/:itemId', {
    preHandler: editors,
    schema: {
      tags,
      summary: 'Place or move a building or a device (door, lamp, alarm post) on the drawing: x from the left, y from the top, 0..1',
      security,
      params: PlacementParams,
      body: PlacementBody,
      response: { 200: PlanItem, ...errors },
    },
  }, async (req) => {
    const community = await compoundOr404(plans, req, req.params.communityId);
    const res = await plans.place(community.id, req.params.kind, req.params.itemId, req.body, actorOf(principalOf(req)), deps.now());
    if (!res.ok) throw new AppError(res.code, res.message);
    deps.changed();
    return res.item;
  });

  r.delete('/api/v1/site/plans/:communityId/placements/:kind/:itemId', {
    preHandler: editors,
    schema: { tags, summary: 'Take a building or a device off the drawing (back to the list of unplaced items)', security, params: PlacementParams, response: { 200: PlanItem, ...errors } },
  }, async (req) => {
    const community = await compoundOr404(plans, req, req.params.communityId);
    const res = await plans.place(community.id, req.params.kind, req.params.itemId, null, actorOf(principalOf(req)), deps.now());
    if (!res.ok) throw new AppError(res.code, res.message);
    deps.changed();
    return res.item;
  });
}
