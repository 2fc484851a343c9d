import type { PassState } from './api/passes';

/**
 * Where a visitor pass stands at `nowMs`; revocation wins over expiry, expiry over a used-up count. Here, below the
 * features, because two of them tell it: access/ (the guard's and the owner's views) and resident/ (the visitor's page).
 */
export function passState(p: { status: string; validFrom: Date; validUntil: Date; entriesUsed: number; maxEntries: number }, nowMs: number): PassState {
  if (p.status === 'revoked') return 'revoked';
  if (nowMs >= p.validUntil.getTime()) return 'expired';
  if (p.entriesUsed >= p.maxEntries) return 'used_up';
  return nowMs < p.validFrom.getTime() ? 'upcoming' : 'active';
}
