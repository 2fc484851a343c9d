import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf, requireRole } from '../api/auth';
import { AlertPlace } from '../contracts/api/alerts';
import { ResidentAlarmList, ResidentHome, type Responder } from '../contracts/api/resident';
import { maskName } from '../contracts/mask';
import type { ResidentRepo } from '../db/resident';
import { doorPlace } from './live';
import { type ResidentRouteDeps, errors, householdOf, notFound, perMinute, security } from './route-context';

/** User names in history become a role and a display name: what a resident may know of who answered. */
async function responder(repo: ResidentRepo, actor: string | null): Promise<Responder | null> {
  if (actor === null) return null;
  if (actor === 'system' || actor.startsWith('device:')) return { role: 'system', name: '' };
  const u = await repo.userByName(actor);
  if (!u) return { role: 'staff', name: '' };
  return { role: u.role === 'guard' || u.role === 'admin' ? u.role : 'staff', name: u.displayName };
}

/** The resident's home (for the invitation card) and the household's one-key alarms with who answered them. */
export function registerHomeRoutes(app: FastifyInstance, deps: ResidentRouteDeps) {
  const { repo } = deps;
  const r = app.withTypeProvider<ZodTypeProvider>();
  const minute = perMinute();

  r.get('/api/v1/resident/home', {
    preHandler: requireRole('resident'),
    config: minute,
    schema: { tags: ['resident'], summary: "The resident's home: compound, household, default doors (for the invitation card)", security, response: { 200: ResidentHome, ...errors } },
  }, async (req) => {
    const p = principalOf(req);
    const householdId = householdOf(p);
    const found = await repo.home(householdId, p.residentId ?? '');
    if (!found) throw notFound('household');
    const { household: h, me, doors } = found;
    const door = (d: { id: string; name: string }) => ({ id: d.id, name: doorPlace(d.name) });
    return {
      community: { name: h.unit.building.community.name, timezone: h.unit.building.community.timezone },
      household: { id: h.id, label: h.label, building: h.unit.building.name, unit: h.unit.number, room: h.room },
      resident: { id: me.id, maskedName: maskName(me.name), faceConsent: me.faceConsent, faceConsentAt: me.faceConsentAt?.toISOString() ?? null },
      // The same order as the gateway's default route: main gate, then the unit door.
      defaultDoors: [...doors.filter((d) => d.placeKind === 'main_gate'), ...doors.filter((d) => d.placeKind === 'unit_door')].map(door),
      vehicleDoors: doors.filter((d) => d.placeKind === 'vehicle_gate').map(door),
    };
  });

  r.get('/api/v1/resident/alarms', {
    preHandler: requireRole('resident'),
    config: minute,
    schema: { tags: ['resident'], summary: "The household's one-key alarms: who answered (role and name), when, and the outcome", security, response: { 200: ResidentAlarmList, ...errors } },
  }, async (req) => {
    const householdId = householdOf(principalOf(req));
    const rows = await repo.alarmsOf(householdId, 20);
    const alarms = await Promise.all(
      rows.map(async (a) => {
        const ackBy = await responder(repo, a.ackedBy);
        const clearBy = await responder(repo, a.clearedBy);
        const place = AlertPlace.safeParse(JSON.parse(a.place));
        return {
          id: a.id,
          at: a.firstAt.toISOString(),
          place: place.success ? place.data.label : '',
          status: z.enum(['open', 'acknowledged', 'cleared']).parse(a.status),
          cancelRequestedAt: a.cancelRequestedAt?.toISOString() ?? null,
          acknowledged: a.ackedAt && ackBy ? { at: a.ackedAt.toISOString(), by: ackBy, note: a.ackNote } : null,
          cleared: a.clearedAt && clearBy ? { at: a.clearedAt.toISOString(), by: clearBy, note: a.clearNote } : null,
        };
      }),
    );
    return { alarms };
  });
}
