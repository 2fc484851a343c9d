import { type AlertSettings, type Decision, keyOf } from './types';

export interface WelfareSubject {
  householdId: string;
  /** Latest door grant attributed to the household, or null if none was ever recorded. */
  lastActivityAt: Date | null;
  /** Since when the household could have shown activity (its enrolment), for households never seen at a door. */
  watchedSince: Date;
}

/**
 * 六必访: an elderly person living alone whose household shows no door activity for a day gets a welfare visit.
 * The caller passes only households tagged elderly_alone.
 */
export function welfareRule(h: WelfareSubject, settings: Pick<AlertSettings, 'welfareSilenceHours'>, now: Date): Decision[] {
  const since = h.lastActivityAt ?? h.watchedSince;
  const silentMs = now.getTime() - since.getTime();
  if (silentMs < settings.welfareSilenceHours * 3_600_000) return [];
  return [
    {
      kind: 'raise',
      type: 'welfare_check',
      severity: 'major',
      key: keyOf('welfare_check', h.householdId),
      deviceId: null,
      householdId: h.householdId,
      at: now,
      detail: { lastActivityAt: h.lastActivityAt?.toISOString() ?? null, silentHours: Math.floor(silentMs / 3_600_000) },
      mode: 'state',
    },
  ];
}

/** Door activity of the household ends its welfare condition. */
export function welfareActivity(householdId: string, at: Date): Decision[] {
  return [{ kind: 'end', key: keyOf('welfare_check', householdId), at, note: 'household_activity' }];
}

