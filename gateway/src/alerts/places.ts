import { LRUCache } from 'lru-cache';
import type { DeviceKind } from '../contracts';
import type { AlertSourceRepo, PlaceInfo } from '../db/alert-sources';

/** The kinds whose place is known before they are pressed: an alarm must not wait for three joins. */
export const PINNED_PLACE_KINDS: readonly DeviceKind[] = ['indoor_alarm', 'outdoor_alarm'];

/**
 * Place look-ups, cached: devices do not move often. Alarm buttons are loaded in one bulk query at start and again
 * before the entries lapse (so an admin's change shows within `ttlMs`); other devices are looked up on first need.
 */
export function createPlaces(sources: AlertSourceRepo, ttlMs = 300_000) {
  const cache = new LRUCache<string, { info: PlaceInfo | null }>({ max: 20_000, ttl: ttlMs });
  const cached = async (key: string, load: () => Promise<PlaceInfo | null>) => {
    const hit = cache.get(key);
    if (hit) return hit.info;
    const info = await load();
    cache.set(key, { info });
    return info;
  };
  let refresher: NodeJS.Timeout | undefined;
  let pinned: (() => Promise<void>) | undefined;
  return {
    device: (deviceId: string) => cached(`d:${deviceId}`, () => sources.devicePlace(deviceId)),
    household: (householdId: string) => cached(`h:${householdId}`, () => sources.householdPlace(householdId)),
    /**
     * Loads the places of every device of `kinds` now, and again every half `ttlMs` until close(). One query per
     * relation, whatever the number of devices: at start this runs while the whole compound reconnects.
     */
    async warm(kinds: readonly DeviceKind[], onError: (err: unknown) => void) {
      const load = async () => {
        for (const [id, info] of await sources.devicePlacesOfKinds(kinds)) cache.set(`d:${id}`, { info });
      };
      pinned = load;
      clearInterval(refresher);
      refresher = setInterval(() => void load().catch(onError), ttlMs / 2);
      refresher.unref();
      await load();
    },
    /** Master data changed (a household's tags, a building's name): forget every place, load the alarm buttons' again. */
    async refresh() {
      cache.clear();
      await pinned?.();
    },
    close() {
      clearInterval(refresher);
    },
  };
}

/** What the alert engine's parts look up (the cache's upkeep stays with whoever created it). */
export type Places = Pick<ReturnType<typeof createPlaces>, 'device' | 'household'>;
