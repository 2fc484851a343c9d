import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../api/auth';
import {
  AdminIdParam,
  BuildingBody,
  BuildingList,
  BuildingListQuery,
  BuildingPatch,
  BuildingView,
  CompoundBody,
  CompoundList,
  CompoundPatch,
  CompoundView,
  ContactBody,
  ContactList,
  ContactListQuery,
  ContactPatch,
  ContactView,
  GridBody,
  GridList,
  GridListQuery,
  GridPatch,
  GridView,
  HouseholdBody,
  HouseholdList,
  HouseholdListQuery,
  HouseholdPatch,
  HouseholdView,
  UnitBody,
  UnitList,
  UnitListQuery,
  UnitPatch,
  UnitView,
} from '../contracts/api/admin';
import { ErrorReply } from '../contracts/api/auth';
import type { GridRepo } from '../db/grids';
import type { MasterDataRepo } from '../db/master-data';
import { AppError } from '../errors';
import { requireAdmin, scopeOf } from './scope';
import { type liveEffects, actorFor, checkContact, unwrap } from './service';

export const adminErrors = { 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 404: ErrorReply, 409: ErrorReply };
export const security = [{ bearer: [] }];
/** The row, or a 404 (out of the caller's compound looks exactly like an id that does not exist). */
export function found<T>(row: T | null, what: string): T {
  if (row === null) throw new AppError('NOT_FOUND', `no such ${what}`);
  return row;
}

export interface PlaceRouteDeps {
  places: MasterDataRepo;
  grids: GridRepo;
  live: ReturnType<typeof liveEffects>;
  now: () => Date;
  chainLength: number;
  webhookSecret: boolean;
}

/** What every place route uses: the typed router, the admin guard, who acts and within which compound. */
function placeKit(app: FastifyInstance, deps: PlaceRouteDeps) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const who = (req: Parameters<typeof principalOf>[0]) => actorFor(principalOf(req), deps.now());
  const scope = (req: Parameters<typeof principalOf>[0]) => scopeOf(principalOf(req));
  return { r, who, scope, noContent: { 204: z.null(), ...adminErrors }, preHandler: requireAdmin };
}

/**
 * /api/v1/admin: compounds → buildings → units → households, grids and escalation contacts. Create, read, edit
 * (PATCH, including `active: false` to deactivate), delete where nothing refers to the row (409 names what does).
 */
export function registerPlaceRoutes(app: FastifyInstance, deps: PlaceRouteDeps): void {
  compoundRoutes(app, deps);
  buildingRoutes(app, deps);
  unitRoutes(app, deps);
  householdRoutes(app, deps);
  gridRoutes(app, deps);
  contactRoutes(app, deps);
}

/** Compounds (小区). */
function compoundRoutes(app: FastifyInstance, deps: PlaceRouteDeps): void {
  const { r, who, scope, noContent, preHandler } = placeKit(app, deps);
  const { places, live } = deps;
  const tags = ['admin: compounds'];
  r.get('/api/v1/admin/compounds', { preHandler, schema: { tags, summary: 'Compounds (小区) the caller administers', security, response: { 200: CompoundList, ...adminErrors } } }, async (req) => ({
    compounds: await places.compounds(scope(req)),
  }));
  r.post('/api/v1/admin/compounds', { preHandler, schema: { tags, summary: 'Create a compound (admin of the installation)', security, body: CompoundBody, response: { 201: CompoundView, ...adminErrors } } }, async (req, reply) => {
    const c = unwrap(await places.createCompound(req.body, who(req)));
    return reply.code(201).send(c);
  });
  r.get('/api/v1/admin/compounds/:id', { preHandler, schema: { tags, summary: 'One compound', security, params: AdminIdParam, response: { 200: CompoundView, ...adminErrors } } }, async (req) => {
    return found(await places.compound(req.params.id, scope(req)), 'compound');
  });
  r.patch('/api/v1/admin/compounds/:id', { preHandler, schema: { tags, summary: 'Edit, deactivate (active: false) or reactivate a compound', security, params: AdminIdParam, body: CompoundPatch, response: { 200: CompoundView, ...adminErrors } } }, async (req) => {
    const c = unwrap(await places.updateCompound(req.params.id, req.body, who(req)));
    await live.everything();
    return c;
  });
  r.delete('/api/v1/admin/compounds/:id', { preHandler, schema: { tags, summary: 'Delete a compound nothing refers to (409 lists what does)', security, params: AdminIdParam, response: noContent } }, async (req, reply) => {
    unwrap(await places.deleteCompound(req.params.id, who(req)));
    return reply.code(204).send(null);
  });
}

/** Buildings (楼栋). */
function buildingRoutes(app: FastifyInstance, deps: PlaceRouteDeps): void {
  const { r, who, scope, noContent, preHandler } = placeKit(app, deps);
  const { places, live } = deps;
  const tags = ['admin: buildings'];
  r.get('/api/v1/admin/buildings', { preHandler, schema: { tags, summary: 'Buildings (楼栋), of one compound or all', security, querystring: BuildingListQuery, response: { 200: BuildingList, ...adminErrors } } }, async (req) => ({
    buildings: await places.buildings(scope(req), req.query.compoundId),
  }));
  r.post('/api/v1/admin/buildings', { preHandler, schema: { tags, summary: 'Create a building', security, body: BuildingBody, response: { 201: BuildingView, ...adminErrors } } }, async (req, reply) => {
    const b = unwrap(await places.createBuilding(req.body, who(req)));
    await live.everything();
    return reply.code(201).send(b);
  });
  r.get('/api/v1/admin/buildings/:id', { preHandler, schema: { tags, summary: 'One building', security, params: AdminIdParam, response: { 200: BuildingView, ...adminErrors } } }, async (req) => {
    return found(await places.building(req.params.id, scope(req)), 'building');
  });
  r.patch('/api/v1/admin/buildings/:id', { preHandler, schema: { tags, summary: 'Edit, deactivate or reactivate a building (renumbering relabels its households)', security, params: AdminIdParam, body: BuildingPatch, response: { 200: BuildingView, ...adminErrors } } }, async (req) => {
    const b = unwrap(await places.updateBuilding(req.params.id, req.body, who(req)));
    await live.everything();
    return b;
  });
  r.delete('/api/v1/admin/buildings/:id', { preHandler, schema: { tags, summary: 'Delete a building nothing refers to', security, params: AdminIdParam, response: noContent } }, async (req, reply) => {
    unwrap(await places.deleteBuilding(req.params.id, who(req)));
    await live.everything();
    return reply.code(204).send(null);
  });
}

/** Units (单元). */
function unitRoutes(app: FastifyInstance, deps: PlaceRouteDeps): void {
  const { r, who, scope, noContent, preHandler } = placeKit(app, deps);
  const { places, live } = deps;
  const tags = ['admin: units'];
  r.get('/api/v1/admin/units', { preHandler, schema: { tags, summary: 'Units (单元), of one building or all', security, querystring: UnitListQuery, response: { 200: UnitList, ...adminErrors } } }, async (req) => ({
    units: await places.units(scope(req), req.query.buildingId),
  }));
  r.post('/api/v1/admin/units', { preHandler, schema: { tags, summary: 'Create a unit in a building', security, body: UnitBody, response: { 201: UnitView, ...adminErrors } } }, async (req, reply) => {
    const u = unwrap(await places.createUnit(req.body, who(req)));
    await live.everything();
    return reply.code(201).send(u);
  });
  r.get('/api/v1/admin/units/:id', { preHandler, schema: { tags, summary: 'One unit', security, params: AdminIdParam, response: { 200: UnitView, ...adminErrors } } }, async (req) => {
    return found(await places.unit(req.params.id, scope(req)), 'unit');
  });
  r.patch('/api/v1/admin/units/:id', { preHandler, schema: { tags, summary: 'Renumber, deactivate or reactivate a unit', security, params: AdminIdParam, body: UnitPatch, response: { 200: UnitView, ...adminErrors } } }, async (req) => {
    const u = unwrap(await places.updateUnit(req.params.id, req.body, who(req)));
    await live.everything();
    return u;
  });
  r.delete('/api/v1/admin/units/:id', { preHandler, schema: { tags, summary: 'Delete a unit nothing refers to', security, params: AdminIdParam, response: noContent } }, async (req, reply) => {
    unwrap(await places.deleteUnit(req.params.id, who(req)));
    await live.everything();
    return reply.code(204).send(null);
  });
}

/** Households (户). */
function householdRoutes(app: FastifyInstance, deps: PlaceRouteDeps): void {
  const { r, who, scope, noContent, preHandler } = placeKit(app, deps);
  const { places, live } = deps;
  const tags = ['admin: households'];
  r.get('/api/v1/admin/households', { preHandler, schema: { tags, summary: 'Households (户), filtered by unit, grid or 七彩图 tag', security, querystring: HouseholdListQuery, response: { 200: HouseholdList, ...adminErrors } } }, async (req) => ({
    households: await places.households(scope(req), req.query),
  }));
  r.post('/api/v1/admin/households', { preHandler, schema: { tags, summary: 'Create a household (room, tags, grid)', security, body: HouseholdBody, response: { 201: HouseholdView, ...adminErrors } } }, async (req, reply) => {
    const h = unwrap(await places.createHousehold(req.body, who(req)));
    await live.everything();
    return reply.code(201).send(h);
  });
  r.get('/api/v1/admin/households/:id', { preHandler, schema: { tags, summary: 'One household', security, params: AdminIdParam, response: { 200: HouseholdView, ...adminErrors } } }, async (req) => {
    return found(await places.household(req.params.id, scope(req)), 'household');
  });
  r.patch('/api/v1/admin/households/:id', { preHandler, schema: { tags, summary: 'Edit room, tags or grid; deactivate (its residents are refused at every door at once) or reactivate', security, params: AdminIdParam, body: HouseholdPatch, response: { 200: HouseholdView, ...adminErrors } } }, async (req) => {
    const h = unwrap(await places.updateHousehold(req.params.id, req.body, who(req)));
    await live.everything();
    return h;
  });
  r.delete('/api/v1/admin/households/:id', { preHandler, schema: { tags, summary: 'Delete a household nothing refers to', security, params: AdminIdParam, response: noContent } }, async (req, reply) => {
    unwrap(await places.deleteHousehold(req.params.id, who(req)));
    await live.everything();
    return reply.code(204).send(null);
  });
}

/** Grids (网格): a change re-reads the escalation routing. */
function gridRoutes(app: FastifyInstance, deps: PlaceRouteDeps): void {
  const { r, who, scope, noContent, preHandler } = placeKit(app, deps);
  const { grids, live } = deps;
  const tags = ['admin: grids'];
  r.get('/api/v1/admin/grids', { preHandler, schema: { tags, summary: 'Grids (网格) with their workers', security, querystring: GridListQuery, response: { 200: GridList, ...adminErrors } } }, async (req) => ({
    grids: await grids.grids(scope(req), req.query.compoundId),
  }));
  r.post('/api/v1/admin/grids', { preHandler, schema: { tags, summary: 'Create a grid', security, body: GridBody, response: { 201: GridView, ...adminErrors } } }, async (req, reply) => {
    const g = unwrap(await grids.createGrid(req.body, who(req)));
    await live.routing();
    return reply.code(201).send(g);
  });
  r.get('/api/v1/admin/grids/:id', { preHandler, schema: { tags, summary: 'One grid with its workers', security, params: AdminIdParam, response: { 200: GridView, ...adminErrors } } }, async (req) => {
    return found(await grids.grid(req.params.id, scope(req)), 'grid');
  });
  r.patch('/api/v1/admin/grids/:id', { preHandler, schema: { tags, summary: 'Rename, deactivate (its households escalate along the default chain) or reactivate a grid', security, params: AdminIdParam, body: GridPatch, response: { 200: GridView, ...adminErrors } } }, async (req) => {
    const g = unwrap(await grids.updateGrid(req.params.id, req.body, who(req)));
    await live.routing();
    return g;
  });
  r.delete('/api/v1/admin/grids/:id', { preHandler, schema: { tags, summary: 'Delete a grid no household or contact refers to', security, params: AdminIdParam, response: noContent } }, async (req, reply) => {
    unwrap(await grids.deleteGrid(req.params.id, who(req)));
    await live.routing();
    return reply.code(204).send(null);
  });
}

/** Escalation contacts (grid workers and installation-wide levels): a change re-reads the escalation routing. */
function contactRoutes(app: FastifyInstance, deps: PlaceRouteDeps): void {
  const { r, who, scope, noContent, preHandler } = placeKit(app, deps);
  const { grids, live } = deps;
  const tags = ['admin: escalation contacts'];
  r.get('/api/v1/admin/escalation-contacts', { preHandler, schema: { tags, summary: 'Escalation contacts stored in the database (ESCALATION_CHAIN is the default)', security, querystring: ContactListQuery, response: { 200: ContactList, ...adminErrors } } }, async (req) => ({
    contacts: await grids.contacts(scope(req), req.query.gridId),
  }));
  r.post('/api/v1/admin/escalation-contacts', { preHandler, schema: { tags, summary: "Add a contact: with gridId, that grid's worker; without, the whole installation's contact for the level", security, body: ContactBody, response: { 201: ContactView, ...adminErrors } } }, async (req, reply) => {
    checkContact(req.body, deps.chainLength, deps.webhookSecret);
    const c = unwrap(await grids.createContact(req.body, who(req)));
    await live.routing();
    return reply.code(201).send(c);
  });
  r.get('/api/v1/admin/escalation-contacts/:id', { preHandler, schema: { tags, summary: 'One contact', security, params: AdminIdParam, response: { 200: ContactView, ...adminErrors } } }, async (req) => {
    return found(await grids.contact(req.params.id, scope(req)), 'contact');
  });
  r.patch('/api/v1/admin/escalation-contacts/:id', { preHandler, schema: { tags, summary: 'Edit, deactivate or reactivate a contact', security, params: AdminIdParam, body: ContactPatch, response: { 200: ContactView, ...adminErrors } } }, async (req) => {
    checkContact(req.body, deps.chainLength, deps.webhookSecret);
    const c = unwrap(await grids.updateContact(req.params.id, req.body, who(req)));
    await live.routing();
    return c;
  });
  r.delete('/api/v1/admin/escalation-contacts/:id', { preHandler, schema: { tags, summary: 'Remove a contact', security, params: AdminIdParam, response: noContent } }, async (req, reply) => {
    unwrap(await grids.deleteContact(req.params.id, who(req)));
    await live.routing();
    return reply.code(204).send(null);
  });
}
