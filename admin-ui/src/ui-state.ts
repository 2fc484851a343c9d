import type { Alert } from '@linli/gateway/contracts/api/alerts';
import { ApiError, api } from './api';
import { currentT } from './i18n';
import { applyLocal } from './live/board';
import { createStore } from './store';

export interface Toast {
  id: number;
  text: string;
  tone: 'ok' | 'error';
}

export const toasts = createStore<Toast[]>([]);
let toastSeq = 0;

export function toast(text: string, tone: Toast['tone'] = 'ok'): void {
  const id = ++toastSeq;
  toasts.set((l) => [...l, { id, text, tone }].slice(-4));
  setTimeout(() => toasts.set((l) => l.filter((x) => x.id !== id)), tone === 'error' ? 8_000 : 4_000);
}

/** The one open dialog: a note for acknowledging, the outcome for a clear or reset, a reason for opening a door. */
export type Dialog =
  | { kind: 'ack'; alert: Alert; from?: 'takeover' }
  | { kind: 'clear'; alert: Alert }
  /** On site after the five-minute rule: the gateway wants the reason (400 naming lateReason). */
  | { kind: 'on-site-late'; alert: Alert }
  /** From a door on the map: the household the guard picked there (an alert at a unit door has none of its own), and the numbers already shown. */
  | { kind: 'call'; alert: Alert; householdId?: string; shown?: Record<string, string> }
  | { kind: 'open-door'; deviceId: string; name: string }
  | { kind: 'help' }
  | { kind: 'pin' };

export const dialog = createStore<Dialog | null>(null);

/** Selected alert on the board (by id: the alert object changes with every frame). */
export const selected = createStore<string | null>(null);

/**
 * The last alert the guard acknowledged from the full-screen takeover: what they just saw. The board selects it, so
 * the next key (R, N, M) acts on it; a dialog for any other alert says so in words.
 */
export const lastShown = createStore<string | null>(null);

function failed(err: unknown): void {
  const t = currentT();
  if (err instanceof ApiError && err.status === 409) {
    const who = typeof err.details === 'object' && err.details !== null && 'ackedBy' in err.details ? String(err.details.ackedBy) : '';
    toast(who ? t('alert.conflict', { who }) : t('alert.failed', { msg: err.message }), 'error');
    return;
  }
  toast(t('alert.failed', { msg: err instanceof Error ? err.message : String(err) }), 'error');
}

export async function acknowledge(alert: Alert, note?: string, from: 'board' | 'takeover' = 'board'): Promise<boolean> {
  // Select it before the answer arrives: keys typed straight on (Enter, R) must act on what the guard just saw.
  selected.set(alert.id);
  if (from === 'takeover') lastShown.set(alert.id);
  try {
    applyLocal(await api.acknowledge(alert.id, note));
    return true;
  } catch (err) {
    failed(err);
    return false;
  }
}

export async function clear(alert: Alert, note: string): Promise<boolean> {
  try {
    applyLocal(await api.clear(alert.id, note));
    return true;
  } catch (err) {
    failed(err);
    return false;
  }
}

export async function onSite(alert: Alert, lateReason?: string): Promise<boolean> {
  try {
    applyLocal(await api.onSite(alert.id, undefined, lateReason));
    return true;
  } catch (err) {
    // Late (five-minute rule): ask for the reason instead of a bare error.
    if (lateReason === undefined && err instanceof ApiError && err.status === 400 && typeof err.details === 'object' && err.details !== null && 'lateSec' in err.details) {
      dialog.set({ kind: 'on-site-late', alert });
      return false;
    }
    failed(err);
    return false;
  }
}
