import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  AckBody,
  Alert,
  AlertDetail,
  AlertIdParams,
  AlertList,
  AlertListQuery,
  AssignBody,
  ClearBody,
  OnSiteBody,
  ReportQuery,
  ResponseTimeReport,
} from '../contracts/api/alerts';
import { ErrorReply } from '../contracts/api/auth';
import type { ActionResult, Actions } from './actions';
import { responseTimes } from './report';
import { principalOf, requireRole } from '../api/auth';
import type { FeatureRoutes } from '../api/routes';
import type { EscalationLevel } from '../config';
import type { AlertRepo } from '../db/alerts';
import type { ContactRepo } from '../db/contacts';
import { AppError } from '../errors';
import { type LiveRouteDeps, liveRoutes } from '../live/routes';
import type { Logger } from '../log';
import { contactRoutes } from './contact-routes';
import { type StoredContact, registerEscalationChain } from './escalation-chain';

const staff = requireRole('guard', 'admin');
const security = [{ bearer: [] }];
const errors = { 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 404: ErrorReply, 409: ErrorReply };

/** The five-minute rule's refusal: how late, and what to send. */
export function lateMessage(onSiteMin: number, lateSec: number): string {
  return `on site ${Math.ceil(lateSec / 60)} min after the five-minute rule (${onSiteMin} min from the report): say why in \`lateReason\``;
}

/** An action's value result as HTTP: the alert, or 400 (late without a reason) / 404 / 409 with who got there first. */
export function answer(r: ActionResult): Alert {
  if (r.ok) return r.alert;
  switch (r.reason) {
    case 'not_found':
      throw new AppError('NOT_FOUND', 'no such alert');
    case 'cleared':
      throw new AppError('CONFLICT', 'the alert is already cleared', { details: { clearedBy: r.alert?.clearedBy, clearedAt: r.alert?.clearedAt } });
    case 'already_acknowledged':
      throw new AppError('CONFLICT', 'the alert is already acknowledged', { details: { ackedBy: r.alert?.ackedBy, ackedAt: r.alert?.ackedAt } });
    case 'already_on_site':
      throw new AppError('CONFLICT', 'someone is already on site', { details: { onSiteBy: r.alert?.onSiteBy, onSiteAt: r.alert?.onSiteAt } });
    case 'late_reason_required':
      throw new AppError('VALIDATION', lateMessage(r.onSiteMin, r.lateSec), { issues: [{ path: '/lateReason', message: 'required when on site late' }], details: { lateSec: r.lateSec, onSiteMinutes: r.onSiteMin } });
  }
}

export interface AlertRouteDeps {
  repo: AlertRepo;
  actions: Actions;
  contacts: ContactRepo;
  /** ESCALATION_CHAIN, shown at GET /api/v1/alerts/escalation-chain. */
  chain: readonly EscalationLevel[];
  /** The contacts stored through the administration, as the routing holds them now. */
  storedContacts?: () => readonly StoredContact[];
  live: LiveRouteDeps;
  log: Logger;
  /** The compound's time zone (Community.timezone), for the report's days. */
  zone?: () => Promise<string>;
}

/**
 * Every route of the alerts feature: the alerts and what staff do with them (below), the household's contacts
 * (contact-routes.ts), the escalation chain (escalation-chain.ts) and the live stream (live/routes.ts).
 */
export function alertRoutes(deps: AlertRouteDeps): FeatureRoutes {
  return async (app) => {
    registerEscalationChain(app, deps.chain, deps.log, deps.storedContacts);
    await alertActionRoutes({ ...deps, zone: deps.zone ?? (async () => 'Asia/Shanghai') })(app);
    await contactRoutes({ contacts: deps.contacts, alerts: deps.repo, actions: deps.actions })(app);
    await liveRoutes(deps.live)(app);
  };
}

/** /api/v1/alerts: the guard station's and the property office's view of alerts, and what they do with them. */
function alertActionRoutes(deps: { repo: AlertRepo; actions: Actions; zone: () => Promise<string> }): FeatureRoutes {
  return async (app: FastifyInstance) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const { repo, actions, zone } = deps;

    r.get('/api/v1/alerts', {
      preHandler: staff,
      schema: { tags: ['alerts'], summary: 'List and filter alerts (default: not cleared, most urgent first)', security, querystring: AlertListQuery, response: { 200: AlertList, ...errors } },
    }, async (req) => repo.list(req.query));

    r.get('/api/v1/alerts/report/response-times', {
      preHandler: staff,
      schema: { tags: ['alerts'], summary: "Time to acknowledge and to clear, p50/p90 per day (the compound's time zone) and per type", security, querystring: ReportQuery, response: { 200: ResponseTimeReport, ...errors } },
    }, async (req) => {
      const from = new Date(req.query.from);
      const to = new Date(req.query.to);
      if (!(from < to)) throw new AppError('VALIDATION', '`from` must be before `to`');
      if (to.getTime() - from.getTime() > 366 * 86_400_000) throw new AppError('VALIDATION', 'at most a year per report');
      const timezone = await zone();
      return { from: req.query.from, to: req.query.to, timezone, rows: responseTimes(await repo.raisedBetween(from, to), timezone) };
    });

    r.get('/api/v1/alerts/:id', {
      preHandler: staff,
      schema: { tags: ['alerts'], summary: 'One alert with its full history', security, params: AlertIdParams, response: { 200: AlertDetail, ...errors } },
    }, async (req) => {
      const found = await repo.get(req.params.id);
      if (!found) throw new AppError('NOT_FOUND', 'no such alert');
      return found;
    });

    r.post('/api/v1/alerts/:id/acknowledge', {
      preHandler: staff,
      schema: { tags: ['alerts'], summary: 'Acknowledge: I have seen it and I am on it (stops the acknowledgement deadline)', security, params: AlertIdParams, body: AckBody, response: { 200: Alert, ...errors } },
    }, async (req) => answer(await actions.acknowledge(req.params.id, principalOf(req).username, req.body.note ?? null)));

    r.post('/api/v1/alerts/:id/clear', {
      preHandler: staff,
      schema: { tags: ['alerts'], summary: 'Clear with what happened; for a latched one-key alarm this is the reset', security, params: AlertIdParams, body: ClearBody, response: { 200: Alert, ...errors } },
    }, async (req) => answer(await actions.clear(req.params.id, principalOf(req).username, req.body.note)));

    r.post('/api/v1/alerts/:id/assign', {
      preHandler: staff,
      schema: { tags: ['alerts'], summary: 'Give the alert an owner (件件有人管)', security, params: AlertIdParams, body: AssignBody, response: { 200: Alert, ...errors } },
    }, async (req) => answer(await actions.assign(req.params.id, principalOf(req).username, req.body.assignee, req.body.note ?? null)));

    // 居民吹哨: the resident sees that their alarm was answered, by whom and when.
    r.get('/api/v1/my/alarms', {
      preHandler: requireRole('resident'),
      schema: { tags: ['alerts'], summary: "The resident's own household's one-key alarms and what became of them", security, response: { 200: AlertList, 401: ErrorReply, 403: ErrorReply } },
    }, async (req) => {
      const householdId = principalOf(req).householdId;
      if (householdId === null) return { alerts: [], total: 0 };
      return repo.list({ householdId, type: ['alarm_press'], status: ['open', 'acknowledged', 'cleared'], sort: 'recent', limit: 20, offset: 0 });
    });

    r.post('/api/v1/alerts/:id/on-site', {
      preHandler: staff,
      schema: { tags: ['alerts'], summary: 'Confirm a worker is on site (five-minute rule; stops the on-site deadline)', security, params: AlertIdParams, body: OnSiteBody, response: { 200: Alert, ...errors } },
    }, async (req) => answer(await actions.onSite(req.params.id, principalOf(req).username, req.body.note ?? null, req.body.lateReason ?? null)));
  };
}
