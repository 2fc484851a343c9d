import { z } from 'zod';

/**
 * What the gateway itself writes into an alert's history note (and a webhook's `reason`): a code, never a sentence.
 * The guard station says it in the guard's language, with the parameters from the history row's `detail`
 * (escalations: `target`, `waitedSec`; notifications: `level`, `attempts`). Notes typed by people stay free text.
 */
export const SystemNote = z.enum([
  /** A device's clock is back within tolerance. */
  'clock_ok',
  /** Nobody acknowledged within `waitedSec`: up to `target`. */
  'escalated_no_ack',
  /** Nobody confirmed being on site within `waitedSec` (the five-minute rule): up to `target`. */
  'escalated_no_on_site',
  /** At the top of the chain and still unanswered. */
  'escalation_top',
  'light_fault_gone',
  'light_lit',
  'light_off',
  'light_power_normal',
  'back_to_normal',
  'door_closed',
  'device_online',
  /** The resident pressed cancel on the alarm; it stays latched until a guard resets it on site. */
  'resident_cancel',
  /** A door grant for the household (welfare check): the row's time is when. */
  'household_activity',
  /** The level `level` was notified. */
  'notify_delivered',
  /** Notifying level `level` failed for good (`error` in the detail is for technicians). */
  'notify_failed',
  /** 警民一键通: the community police's endpoint took the alarm (`requestedBy`: system for a linked point, or the guard). */
  'police_delivered',
  /** 警民一键通: the police endpoint could not be reached or refused (`error` for technicians). */
  'police_failed',
  /** 警民一键通 was asked for, but no POLICE_LINK_URL is configured: nobody was told. */
  'police_no_channel',
]);
export type SystemNote = z.infer<typeof SystemNote>;
