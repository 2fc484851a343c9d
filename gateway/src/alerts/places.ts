import { LRUCache } from 'lru-cache';
import type { AlertSourceRepo, PlaceInfo } from '../db/alert-sources';

/** Place look-ups, cached: devices do not move often, and an alarm must not wait for three joins twice. */
export function createPlaces(sources: AlertSourceRepo, ttlMs = 300_000) {
  const cache = new LRUCache<string, { info: PlaceInfo | null }>({ max: 20_000, ttl: ttlMs });
  const cached = async (key: string, load: () => Promise<PlaceInfo | null>) => {
    const hit = cache.get(key);
    if (hit) return hit.info;
    const info = await load();
    cache.set(key, { info });
    return info;
  };
  return {
    device: (deviceId: string) => cached(`d:${deviceId}`, () => sources.devicePlace(deviceId)),
    household: (householdId: string) => cached(`h:${householdId}`, () => sources.householdPlace(householdId)),
    /** Warms the cache for devices whose alarms must be fast (called at start, not on the alarm's path). */
    async warm(deviceIds: readonly string[]) {
      for (const id of deviceIds) await this.device(id);
    },
  };
}

export type Places = ReturnType<typeof createPlaces>;
