import type { FeatureRoutes } from '../api/routes';
import type { Bus, IngestedEvent, Presence } from '../bus';
import type { DeviceStateView } from '../contracts/api/site';
import type { Store } from '../db/store';
import { siteRepo } from '../db/site';
import type { Logger } from '../log';
import type { Lifecycle } from '../runtime/lifecycle';
import { siteRoutes } from './routes';
import { planRoutes } from './plan-routes';
import { sitePlanRepo } from '../db/site-plan';
import { type DeviceState, EMPTY_STATE, foldEvent, foldMessage } from './state';

export interface SiteDeps {
  db: Store;
  bus: Bus;
  /** Whether a device is connected to the broker right now (the truth for "online"). */
  isConnected: (deviceId: string) => boolean;
  log: Logger;
  now?: () => Date;
}

export interface SiteFeature extends Lifecycle {
  /** GET /api/v1/site, /api/v1/devices/states, /api/v1/devices/{id}/events, /api/v1/access-log. */
  routes: FeatureRoutes;
  states(): { version: number; planVersion: number; devices: DeviceStateView[] };
}

/**
 * The guard station's view of the compound: the site plan from the database, and every device's state (door open or
 * closed, lamp lit, battery) kept in memory from the bus, started from the latest stored message of each device.
 * Read-only: nothing here decides or alerts (access/ and alerts/ do).
 */
export async function createSiteFeature(deps: SiteDeps): Promise<SiteFeature> {
  const log = deps.log.child({ module: 'site' });
  const now = deps.now ?? (() => new Date());
  const repo = siteRepo(deps.db);
  const states = new Map<string, DeviceState>();
  let version = 0;
  let planVersion = 0;

  for (const d of await repo.devicesSeen()) states.set(d.id, { ...EMPTY_STATE, lastSeenAt: d.lastSeenAt });
  for (const m of await repo.latestStates()) apply(m.deviceId, m);

  function apply(deviceId: string, m: { channel: string; payload: unknown; receivedAt: Date }) {
    const prev = states.get(deviceId) ?? EMPTY_STATE;
    const next = foldMessage(prev, m);
    if (next === prev) return;
    states.set(deviceId, next);
    version++;
  }
  const onEvent = (e: IngestedEvent) => {
    const prev = states.get(e.deviceId) ?? EMPTY_STATE;
    const next = foldEvent(prev, e);
    if (next === prev) return;
    states.set(e.deviceId, next);
    version++;
  };
  // Online comes from the broker when asked; a presence change still moves the version so clients redraw.
  const onPresence = (p: Presence) => {
    const prev = states.get(p.deviceId) ?? EMPTY_STATE;
    states.set(p.deviceId, prev.lastSeenAt === null || prev.lastSeenAt < p.at ? { ...prev, lastSeenAt: p.at } : prev);
    version++;
  };
  log.info({ devices: states.size }, 'site ready');

  const feature: SiteFeature = {
    states() {
      return {
        version,
        planVersion,
        devices: [...states].map(([id, s]) => ({
          id,
          online: deps.isConnected(id),
          lastSeenAt: s.lastSeenAt?.toISOString() ?? null,
          door: s.door,
          lamp: s.lamp,
          batteryPercent: s.batteryPercent,
        })),
      };
    },
    routes: async (app) => {
      await siteRoutes({ repo, states: () => feature.states(), now })(app);
      await planRoutes({ plans: sitePlanRepo(deps.db.prisma), changed: () => void planVersion++, now, log })(app);
    },
    async start() {
      deps.bus.subscriber('site').on('device-event', onEvent).on('presence', onPresence);
    },
    async stop() {
      deps.bus.release('site');
    },
  };
  return feature;
}
