import { ApiError } from './api';
import type { MT } from './i18n';

/** A failed call in the resident's words: the gateway's message, or "no network" when the phone is offline. */
export function errText(t: MT, e: unknown): string {
  if (e instanceof ApiError) return t('error.generic', { msg: e.message });
  if (e instanceof TypeError) return t('error.offline');
  return t('error.generic', { msg: String(e) });
}

/** For field staff: the gateway's message as it is, or "offline". */
export function plainErrText(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof TypeError) return 'offline';
  return String(e);
}
