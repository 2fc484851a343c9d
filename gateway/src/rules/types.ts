import type { SystemNote } from '../contracts/api/alert-notes';
import type { DeviceKind } from '../contracts';
import type { AlertCategory, AlertType, Detail, PlaceCode, Severity } from '../contracts/api/alerts';

/** Everything the rules read from configuration; built once from Config by alerts/settings.ts. */
export interface AlertSettings {
  /** Seconds to acknowledgement before one escalation step; 0 = never escalates. */
  ackSec: Record<Severity, number>;
  /** Five-minute rule (docs/domain.md) for maintenance faults. */
  onSiteMin: number;
  /** Level names, level 0 (the guard station) first. */
  chain: readonly string[];
  supervisionSec: Record<DeviceKind, number>;
  supervisionGraceSec: number;
  clockDriftToleranceSec: number;
  welfareSilenceHours: number;
  sunsetMarginMin: number;
  streetlight: { litMinW: number; maxW: number; standbyMaxW: number; voltageMin: number; voltageMax: number };
  disabledTypes: ReadonlySet<AlertType>;
}

/**
 * What a rule decides. The lifecycle service (alerts/service.ts) turns decisions into alert rows, history and
 * live frames; rules never do I/O.
 */
export type Decision = RaiseDecision | NoteDecision | EndDecision;

export interface RaiseDecision {
  kind: 'raise';
  type: AlertType;
  severity: Severity;
  /** Identifies the condition: occurrences with the same key fold into the one alert that is not cleared. */
  key: string;
  deviceId: string | null;
  householdId: string | null;
  at: Date;
  detail: Detail;
  /**
   * event: each decision is a new occurrence (count + 1). state: the condition holds; an alert that is already
   * open for it stays as it is (a re-evaluated lamp or a restarted gateway does not count it again).
   */
  mode: 'event' | 'state';
  /** deviceId:eventId of the triggering device event. */
  source?: string;
  /** Where an alert with no device and no household is (a code the UI translates); `unknown_place` if not given. */
  place?: PlaceCode;
  /** The place in words when a person gave it (a patrol report: "3号楼东侧路灯"); wins over `place`. */
  placeLabel?: string;
}

/** Something to record on the open alert of `key` without changing its condition (the resident's cancel). */
export interface NoteDecision {
  kind: 'note';
  key: string;
  action: 'cancel_requested';
  actor: string;
  at: Date;
  note: SystemNote;
  source?: string;
}

/** The condition of `key` is back to normal. Auto-clearing types clear; others record it and wait for a person. */
export interface EndDecision {
  kind: 'end';
  key: string;
  at: Date;
  /** A code the UI translates (contracts/api/alert-notes.ts), never a sentence. */
  note: SystemNote;
}

export interface TypeSpec {
  category: AlertCategory;
  /** GB 50394: a latched alert ends only by a guard's reset. */
  latched: boolean;
  /** When the condition ends: clear by itself (a lamp lit again) or only record it (a closed door after forcing). */
  onEnd: 'clear' | 'record';
  /** The five-minute rule applies: a worker must confirm being on site. */
  onSite: boolean;
}

export const TYPES: Record<AlertType, TypeSpec> = {
  alarm_press: { category: 'security', latched: true, onEnd: 'record', onSite: false },
  forced_entry: { category: 'security', latched: false, onEnd: 'record', onSite: false },
  door_held_open: { category: 'security', latched: false, onEnd: 'record', onSite: false },
  tamper: { category: 'security', latched: false, onEnd: 'record', onSite: false },
  repeated_denials: { category: 'security', latched: false, onEnd: 'record', onSite: false },
  blacklisted_credential: { category: 'security', latched: false, onEnd: 'record', onSite: false },
  device_offline: { category: 'maintenance', latched: false, onEnd: 'clear', onSite: true },
  light_not_lit: { category: 'maintenance', latched: false, onEnd: 'clear', onSite: true },
  light_lit_in_daylight: { category: 'maintenance', latched: false, onEnd: 'clear', onSite: false },
  light_fault: { category: 'maintenance', latched: false, onEnd: 'clear', onSite: true },
  light_power_abnormal: { category: 'maintenance', latched: false, onEnd: 'clear', onSite: true },
  low_battery: { category: 'maintenance', latched: false, onEnd: 'clear', onSite: false },
  invalid_payloads: { category: 'maintenance', latched: false, onEnd: 'clear', onSite: false },
  clock_drift: { category: 'maintenance', latched: false, onEnd: 'clear', onSite: false },
  event_id_reused: { category: 'maintenance', latched: false, onEnd: 'record', onSite: false },
  // An alarm button pressing many times a second: stuck, broken or played with. Someone must go and look.
  press_storm: { category: 'maintenance', latched: false, onEnd: 'record', onSite: true },
  welfare_check: { category: 'welfare', latched: false, onEnd: 'clear', onSite: false },
  // Nobody above the guard station can be told: a configuration fault the guard sees, acknowledges and reports.
  escalation_unreachable: { category: 'maintenance', latched: false, onEnd: 'clear', onSite: false },
  // Found on patrol by a field worker: the five-minute rule applies, and only a person ends it.
  patrol_report: { category: 'maintenance', latched: false, onEnd: 'record', onSite: true },
};

const SEVERITY_RANK: Record<Severity, number> = { critical: 400, major: 300, minor: 200, warning: 100 };

/**
 * Sort key for the guard screen: severity first; within a severity, an elderly person living alone comes first
 * (docs/domain.md: their alarm matters more), then other vulnerable households.
 */
export function priorityOf(severity: Severity, tags: readonly string[]): number {
  let p = SEVERITY_RANK[severity];
  if (tags.includes('elderly_alone')) p += 50;
  else if (tags.some((t) => t === 'elderly' || t === 'disabled' || t === 'empty_nest')) p += 20;
  return p;
}

export const keyOf = (type: AlertType, subject: string) => `${type}:${subject}`;
