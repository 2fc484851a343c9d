import type { DeviceKind } from '../contracts';
import type { Alert } from '../contracts/api/alerts';
import type { AlertSettings, Decision } from '../rules/types';
import { type DeviceWatch, type Observation, observe, supervise } from '../rules/supervision';

/**
 * Keeps one watch per enabled device (last message, connected or not) and turns observations and the passing of
 * time into device_offline decisions with the pure rules of rules/supervision.ts.
 */
export function createSupervision(settings: AlertSettings, apply: (d: Decision) => void) {
  const watches = new Map<string, DeviceWatch>();

  const step = (id: string, r: { watch: DeviceWatch; decisions: Decision[] }) => {
    watches.set(id, r.watch);
    for (const d of r.decisions) apply(d);
  };

  return {
    /**
     * At start every device gets a full window from now (the gateway was not listening before), and devices with an
     * open offline alert stay offline until they are heard from.
     */
    load(devices: ReadonlyArray<{ id: string; kind: DeviceKind; lastSeenAt: Date | null; supervisionSec?: number | null }>, open: readonly Alert[], startMs: number) {
      const offline = new Set(open.filter((a) => a.type === 'device_offline' && a.deviceId !== null).map((a) => a.deviceId));
      for (const d of devices) {
        watches.set(d.id, {
          deviceId: d.id,
          kind: d.kind,
          lastSeenMs: Math.max(d.lastSeenAt?.getTime() ?? 0, startMs),
          connected: false,
          downSinceMs: null,
          downCause: null,
          offline: offline.has(d.id),
          windowSec: d.supervisionSec ?? null,
        });
      }
    },
    /**
     * A device provisioned, re-configured or disabled while the gateway runs (devices/): its own window from now on;
     * a disabled device is no longer supervised (nobody expects to hear from it).
     */
    configure(c: { deviceId: string; kind: DeviceKind; enabled: boolean; supervisionSec: number | null }, nowMs: number) {
      if (!c.enabled) {
        watches.delete(c.deviceId);
        return;
      }
      const w = watches.get(c.deviceId);
      watches.set(
        c.deviceId,
        w
          ? { ...w, windowSec: c.supervisionSec }
          : { deviceId: c.deviceId, kind: c.kind, lastSeenMs: nowMs, connected: false, downSinceMs: null, downCause: null, offline: false, windowSec: c.supervisionSec },
      );
    },
    windowOf: (deviceId: string) => watches.get(deviceId)?.windowSec ?? null,
    observe(deviceId: string, kind: DeviceKind, o: Observation) {
      let w = watches.get(deviceId);
      if (!w) {
        // A device enrolled while the gateway runs.
        w = { deviceId, kind, lastSeenMs: o.atMs, connected: false, downSinceMs: null, downCause: null, offline: false, windowSec: null };
      }
      step(deviceId, observe(w, o));
    },
    sweep(nowMs: number) {
      for (const [id, w] of watches) {
        if (w.offline) continue;
        const r = supervise(w, settings, nowMs);
        if (r.decisions.length > 0) step(id, r);
      }
    },
    size: () => watches.size,
  };
}

export type Supervision = ReturnType<typeof createSupervision>;
