import type { HubScope } from '@linli/gateway/contracts/api/hub';
import type { HubT } from './i18n';

/** A time as the desk reads it: day and minute, in the browser's zone. */
export const fmtTime = (t: HubT, iso: string | null) =>
  iso === null ? '—' : new Date(iso).toLocaleString(t.lang === 'zh' ? 'zh-CN' : 'en-GB', { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });

export const errText = (t: HubT, err: unknown) => t('error.generic', { msg: err instanceof Error ? err.message : String(err) });

/** 全区, 街道：…, 小区：… for a user's scope (its registered name when there is one). */
export function scopeText(t: HubT, u: { scope: HubScope; scopeName: string | null }): string {
  if (u.scope.kind === 'district') return t('scope.district');
  return t(u.scope.kind === 'street' ? 'scope.street' : 'scope.compound', { name: u.scopeName ?? u.scope.id });
}
