import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { maskName } from '../contracts/mask';
import { ErrorReply } from '../contracts/api/auth';
import { AccessLog, AccessLogQuery, DeviceEventList, DeviceEventsQuery, DeviceParam, DeviceStates, type DeviceStateView, SitePlan } from '../contracts/api/site';
import type { SiteRepo } from '../db/site';
import { AppError } from '../errors';
import { flatten } from './state';
import { principalOf, requireRole } from '../api/auth';
import { SiteQuery } from '../contracts/api/site-plan';
import { scopeOf } from './plan-routes';
import type { FeatureRoutes } from '../api/routes';

export interface SiteRouteDeps {
  repo: SiteRepo;
  states: () => { version: number; planVersion: number; devices: DeviceStateView[] };
  now: () => Date;
}

const errors = { 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 404: ErrorReply };
const security = [{ bearer: [] }];
const staff = requireRole('guard', 'admin');

/** The site feature's routes (see registerSiteRoutes). */
export function siteRoutes(deps: SiteRouteDeps): FeatureRoutes {
  return async (app) => registerSiteRoutes(app, deps);
}

/** Read-only routes for the guard station: the site plan, device states and events, the searchable access log. */
function registerSiteRoutes(app: FastifyInstance, deps: SiteRouteDeps) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { repo } = deps;

  r.get('/api/v1/site', {
    preHandler: staff,
    schema: {
      tags: ['site'],
      summary: 'Site plan of one compound (default: the caller\u2019s, else the first): its buildings and devices with their positions, its drawing, and the compounds to choose from',
      security,
      querystring: SiteQuery,
      response: { 200: SitePlan, ...errors },
    },
  }, async (req) => {
    const plan = await repo.sitePlan({ communityId: req.query.communityId, scope: scopeOf(principalOf(req)) });
    if (!plan) throw new AppError('NOT_FOUND', 'no such compound');
    return plan;
  });

  r.get('/api/v1/devices/states', {
    preHandler: staff,
    schema: {
      tags: ['site'],
      summary: 'Every device: online, last seen, door open/closed, lamp state, battery (poll while a map is open)',
      security,
      response: { 200: DeviceStates, ...errors },
    },
  }, async () => ({ at: deps.now().toISOString(), ...deps.states() }));

  r.get('/api/v1/devices/:deviceId/events', {
    preHandler: staff,
    schema: {
      tags: ['site'],
      summary: 'A device\'s recent messages, newest first (heartbeats and raw access requests left out)',
      security,
      params: DeviceParam,
      querystring: DeviceEventsQuery,
      response: { 200: DeviceEventList, ...errors },
    },
  }, async (req) => {
    if (!(await repo.deviceExists(req.params.deviceId))) throw new AppError('NOT_FOUND', 'no such device');
    const events = (await repo.recentEvents(req.params.deviceId, req.query.limit)).map((e) => ({
      seq: e.seq,
      channel: e.channel,
      deviceTime: e.deviceTime.toISOString(),
      receivedAt: e.receivedAt.toISOString(),
      detail: flatten(e.payload),
    }));
    return { deviceId: req.params.deviceId, events };
  });

  r.get('/api/v1/access-log', {
    preHandler: staff,
    schema: {
      tags: ['site'],
      summary: 'Door decisions, newest first, searchable by household, door, visitor or resident name; names masked',
      security,
      querystring: AccessLogQuery,
      response: { 200: AccessLog, ...errors },
    },
  }, async (req) => {
    const { total, rows } = await repo.accessLog(req.query);
    return {
      total,
      entries: rows.map((e) => ({
        id: e.id,
        at: e.at.toISOString(),
        deviceId: e.deviceId,
        deviceName: e.deviceName,
        direction: e.direction,
        credentialType: e.credentialType,
        decision: e.decision === 'grant' ? ('grant' as const) : ('deny' as const),
        reason: e.reason,
        householdLabel: e.householdLabel,
        person: e.residentName !== null
          ? { kind: 'resident' as const, name: maskName(e.residentName) }
          : e.visitorName !== null
            ? { kind: 'visitor' as const, name: maskName(e.visitorName) }
            : null,
        offline: e.offline,
      })),
    };
  });
}
