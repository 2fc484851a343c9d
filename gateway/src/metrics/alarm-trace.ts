import { channel } from 'node:diagnostics_channel';

/** The stages of an alarm press on its way to the guard station's screen, in order. */
export type AlarmStage = 'received' | 'committed' | 'store-turn' | 'frame';

const alarms = channel('linli:alarm');

/**
 * Marks an alarm press reaching a stage, on the `linli:alarm` diagnostics channel: `received` (validated, in the
 * broker's publish hook), `committed` (its event row's COMMIT returned), `store-turn` (its alert write's turn in the
 * alert store's serial queue), `frame` (the alert's transaction committed and its SSE frame handed to the guard
 * screens' sockets). Nothing is published while nobody subscribes (one property read); the bench's diagnostic
 * preload (test/bench/stall-probe.mjs) subscribes and reports each stage's time after `received`.
 */
export function traceAlarm(stage: AlarmStage, deviceId: string): void {
  if (alarms.hasSubscribers) alarms.publish({ stage, deviceId });
}
