import type { FastifyInstance } from 'fastify';
import { maskName } from '../contracts/mask';
import { qrSigningKey } from '../auth/pass-code';
import type { Bus } from '../bus';
import type { AccessDecision, AlertChanged, WalkInChanged } from '../bus';
import { ResidentWalkIn } from '../contracts/api/walk-ins';
import { ResidentAlarmChanged, ResidentArrival } from '../contracts/api/resident';
import type { PrismaClient } from '../db/client';
import { residentRepo } from '../db/resident';
import { StreamTickets } from '../live/tickets';
import type { Logger } from '../log';
import type { Lifecycle } from '../runtime/lifecycle';
import { ResidentLive, doorPlace } from './live';
import { residentRoutes } from './routes';
import { visitLinkKey } from './visit-link';

export interface ResidentFeatureDeps {
  prisma: PrismaClient;
  bus: Bus;
  log: Logger;
  credentialKey: string;
  /** Ticket lifetime (the guard station's LIVE_TICKET_TTL_SEC). */
  ticketTtlMs: number;
  heartbeatMs?: number;
  now?: () => Date;
}

export interface ResidentFeature extends Lifecycle {
  routes: (app: FastifyInstance) => Promise<void>;
}

/**
 * The resident phone app's backend (docs/resident-app.md): its routes, and its live stream fed from the bus — a
 * visitor's pass used at a door (arrival) and any change to one of the household's alarms. Each frame goes to that
 * household's streams only.
 */
export function createResidentFeature(deps: ResidentFeatureDeps): ResidentFeature {
  const log = deps.log.child({ module: 'resident' });
  const now = deps.now ?? (() => new Date());
  const live = new ResidentLive({ heartbeatMs: deps.heartbeatMs ?? 15_000, maxClients: 2_000, maxPerHousehold: 4 }, log);
  const tickets = new StreamTickets({ ttlMs: deps.ticketTtlMs, max: 10_000 });
  const repo = residentRepo(deps.prisma);

  const onDecision = (d: AccessDecision) => {
    const householdId = d.householdId;
    if (d.decision !== 'grant' || d.passId === null || householdId === null || !live.hasHousehold(householdId)) return;
    void (async () => {
      const { direction, pass, doorName } = await repo.arrival(d.accessEventId, d.passId ?? '', d.deviceId);
      // The pass's own household, read from the database, decides who hears of it.
      if (!pass || pass.householdId !== householdId) return;
      const frame = ResidentArrival.parse({
        passId: d.passId,
        visitor: maskName(pass.visitorName),
        door: doorName !== null ? doorPlace(doorName) : d.deviceId,
        direction: direction === 'out' ? 'out' : 'in',
        at: d.at.toISOString(),
      });
      live.publish(householdId, 'arrival', frame);
    })().catch((err: unknown) => log.warn({ err, passId: d.passId }, 'could not tell the household of an arrival'));
  };
  const onAlert = (a: AlertChanged) => {
    if (a.householdId === null || a.type !== 'alarm_press') return;
    live.publish(a.householdId, 'alarm', ResidentAlarmChanged.parse({ alertId: a.alertId, action: a.action, at: a.at.toISOString() }));
  };
  // A walk-in visitor the guard asked this household about: every phone of the flat shows it, and sees it settled.
  const onWalkIn = (w: WalkInChanged) => {
    live.publish(w.householdId, 'walk_in', ResidentWalkIn.parse(w.request));
  };
  return {
    async routes(app) {
      await residentRoutes({
        repo,
        credentialKey: deps.credentialKey,
        qrSigningKey: qrSigningKey(deps.credentialKey),
        linkKey: visitLinkKey(deps.credentialKey),
        tickets,
        live,
        now,
      })(app);
    },
    async start() {
      deps.bus.subscriber('resident').on('access-decision', onDecision).on('alert-change', onAlert).on('walk-in-change', onWalkIn);
    },
    /** Stops listening and ends the households' live streams. */
    async stop() {
      deps.bus.release('resident');
      live.close();
    },
  };
}
