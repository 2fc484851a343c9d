import type { IngestedEvent } from '../bus';
import type { DeviceContext } from './context';

/** Heartbeats move the stored drift only by this much (a device's clock wanders by milliseconds every minute). */
const DRIFT_STEP_SEC = 1;

/**
 * Follows heartbeats for firmware and clock drift: kept in memory for every heartbeat, stored only when the firmware
 * changes or the drift moves by DRIFT_STEP_SEC.
 */
export function healthListener(ctx: DeviceContext): (e: IngestedEvent) => void {
  const { health, repo, log } = ctx;
  return (e) => {
    if (e.name !== 'heartbeat') return;
    const driftSec = Math.round((e.deviceTime.getTime() - e.receivedAt.getTime()) / 100) / 10;
    const firmware = e.payload.firmware ?? null;
    const prev = health.get(e.deviceId);
    health.set(e.deviceId, { firmware: firmware ?? prev?.firmware ?? null, driftSec });
    if (prev && prev.firmware === (firmware ?? prev.firmware) && Math.abs(prev.driftSec - driftSec) < DRIFT_STEP_SEC) return;
    repo.setHealth(e.deviceId, firmware, driftSec).catch((err: unknown) => log.warn({ err, deviceId: e.deviceId }, 'could not store firmware and clock drift'));
  };
}
