import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Actions } from './actions';
import { Alert, AlertIdParams } from '../contracts/api/alerts';
import { ErrorReply } from '../contracts/api/auth';
import { CallBody, ContactParams, DeviceContacts, DeviceContactsParams, HouseholdContacts, HouseholdParams, RevealBody, RevealReply } from '../contracts/api/contacts';
import type { AlertRepo } from '../db/alerts';
import type { ContactRepo } from '../db/contacts';
import { AppError } from '../errors';
import { principalOf, requireRole } from '../api/auth';

const staff = requireRole('guard', 'admin');
const security = [{ bearer: [] }];
const errors = { 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 404: ErrorReply };

/**
 * Reaching the household in an emergency: its contacts (names masked, numbers masked), a full number on demand
 * (every reveal an audit row: who, whose number, for which alert; the number never reaches a log), and the call's
 * outcome in the alert's history.
 */
export function contactRoutes(deps: { contacts: ContactRepo; alerts: Pick<AlertRepo, 'byId'>; actions: Actions }) {
  return async (app: FastifyInstance) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const { contacts, actions } = deps;

    r.get('/api/v1/households/:id/contacts', {
      preHandler: staff,
      schema: { tags: ['alerts'], summary: "A household's emergency contacts (masked)", security, params: HouseholdParams, response: { 200: HouseholdContacts, ...errors } },
    }, async (req) => {
      const list = await contacts.list(req.params.id);
      if (!list) throw new AppError('NOT_FOUND', 'no such household');
      return list;
    });

    r.get('/api/v1/devices/:deviceId/contacts', {
      preHandler: staff,
      schema: {
        tags: ['alerts'],
        summary: 'The households to call from a device on the map (masked)',
        description: "A unit door: every household of its unit; a household's device: that household; gates and outdoor devices: none.",
        security,
        params: DeviceContactsParams,
        response: { 200: DeviceContacts, ...errors },
      },
    }, async (req) => {
      const found = await contacts.forDevice(req.params.deviceId);
      if (!found) throw new AppError('NOT_FOUND', 'no such device');
      return found;
    });

    r.post('/api/v1/households/:id/contacts/:contactId/phone', {
      preHandler: staff,
      schema: { tags: ['alerts'], summary: "Show one contact's full phone number (audited)", security, params: ContactParams, body: RevealBody, response: { 200: RevealReply, ...errors } },
    }, async (req) => {
      const actor = principalOf(req).username;
      const phone = await contacts.reveal(req.params.id, req.params.contactId, actor, req.body.alertId ?? null);
      if (phone === null) throw new AppError('NOT_FOUND', 'no such contact with a phone number in this household');
      req.log.info({ actor, householdId: req.params.id, contactId: req.params.contactId, alertId: req.body.alertId }, 'contact phone number shown');
      return { contactId: req.params.contactId, phone };
    });

    r.post('/api/v1/alerts/:id/call', {
      preHandler: staff,
      schema: { tags: ['alerts'], summary: "Record a call to the alert's household and its outcome", security, params: AlertIdParams, body: CallBody, response: { 200: Alert, ...errors } },
    }, async (req) => {
      const stored = await deps.alerts.byId(req.params.id);
      if (!stored) throw new AppError('NOT_FOUND', 'no such alert');
      // The alert's household; for an alert at a unit door (no household), anyone living in that unit.
      const hh = stored.alert.householdId;
      const unit = stored.alert.place.unitId;
      const fits = hh !== null ? await contacts.belongs(hh, req.body.contactId) : unit !== null && (await contacts.inUnit(unit, req.body.contactId));
      if (!fits) throw new AppError('VALIDATION', "the contact does not belong to this alert's household or unit");
      const result = await actions.recordCall(req.params.id, principalOf(req).username, req.body.contactId, req.body.outcome);
      if (!result.ok) throw new AppError('NOT_FOUND', 'no such alert');
      return result.alert;
    });
  };
}
