import type { Alert, AlertType } from '../contracts/api/alerts';
import type { Logger } from '../log';
import { LAMP_TYPES, type LampReading, daylightAt, judgeLamp } from '../rules/streetlight';
import type { AlertSettings, Decision } from '../rules/types';
import type { Places } from './places';

interface Lamp {
  reading: LampReading | null;
  held: Set<AlertType>;
  latitude: number;
  longitude: number;
}

/**
 * Judges every streetlight on each report and again as the day turns: a lamp that reported "off" at 17:00 is
 * not lit at 18:30 even if it says nothing more. Coordinates are the lamp's community's.
 */
export function createStreetlights(settings: AlertSettings, deps: { places: Places; apply: (d: Decision) => void; log: Logger }) {
  const lamps = new Map<string, Lamp>();

  const judge = (deviceId: string, lamp: Lamp, at: Date) => {
    if (!lamp.reading || Number.isNaN(lamp.latitude)) return;
    const daylight = daylightAt(at, lamp.latitude, lamp.longitude, settings.sunsetMarginMin);
    const r = judgeLamp(deviceId, lamp.held, lamp.reading, daylight, settings, at);
    lamp.held = r.held;
    for (const d of r.decisions) deps.apply(d);
  };

  return {
    /** Conditions already open (from before a restart) are held, so the lamp's next good report ends them. */
    load(open: readonly Alert[]) {
      for (const a of open) {
        if (a.deviceId === null || !LAMP_TYPES.includes(a.type)) continue;
        const held = lamps.get(a.deviceId)?.held ?? new Set<AlertType>();
        held.add(a.type);
        lamps.set(a.deviceId, { reading: null, held, latitude: NaN, longitude: NaN });
      }
    },
    reading(deviceId: string, reading: LampReading, at: Date) {
      const lamp = lamps.get(deviceId) ?? { reading: null, held: new Set<AlertType>(), latitude: NaN, longitude: NaN };
      lamps.set(deviceId, lamp);
      lamp.reading = reading;
      if (!Number.isNaN(lamp.latitude)) return judge(deviceId, lamp, at);
      deps.places
        .device(deviceId)
        .then((info) => {
          if (!info) return;
          lamp.latitude = info.latitude;
          lamp.longitude = info.longitude;
          judge(deviceId, lamp, at);
        })
        .catch((err: unknown) => deps.log.warn({ err, deviceId }, 'streetlight not judged'));
    },
    sweep(at: Date) {
      for (const [id, lamp] of lamps) judge(id, lamp, at);
    },
  };
}

export type Streetlights = ReturnType<typeof createStreetlights>;
