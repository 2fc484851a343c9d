import { describe, expect, it } from 'vitest';
import { AppError } from '../errors';
import { checkWindow, newPass, passState, quotaGate } from './pass-rules';

const now = new Date('2026-11-21T12:00:00Z');
const at = (minutes: number) => new Date(now.getTime() + minutes * 60_000);
const S = { passMaxAdvanceMs: 7 * 86_400_000, passMaxValidityMs: 24 * 3_600_000 };
const codeOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e instanceof AppError ? e.code : 'not an AppError';
  }
  return 'no error';
};

describe('passState', () => {
  const pass = { status: 'active' as const, validFrom: at(10), validUntil: at(70), entriesUsed: 0, maxEntries: 2 };
  it('reports upcoming, active, used up, expired and revoked, revocation first', () => {
    expect(passState(pass, now.getTime())).toBe('upcoming');
    expect(passState(pass, at(20).getTime())).toBe('active');
    expect(passState({ ...pass, entriesUsed: 2 }, at(20).getTime())).toBe('used_up');
    expect(passState({ ...pass, entriesUsed: 2 }, at(70).getTime())).toBe('expired');
    expect(passState({ ...pass, status: 'revoked' }, at(70).getTime())).toBe('revoked');
  });
});

describe('checkWindow', () => {
  it('starts now when validFrom is missing and forgives five minutes of clock skew', () => {
    expect(checkWindow({ visitorName: 'x', validUntil: at(60).toISOString() }, now, S)).toEqual({ validFrom: now, validUntil: at(60) });
    expect(checkWindow({ visitorName: 'x', validFrom: at(-4).toISOString(), validUntil: at(60).toISOString() }, now, S).validFrom).toEqual(at(-4));
  });
  it('refuses a window in the past, too far ahead, inverted or too long', () => {
    const w = (from: number, until: number) => () => checkWindow({ visitorName: 'x', validFrom: at(from).toISOString(), validUntil: at(until).toISOString() }, now, S);
    expect(codeOf(w(-6, 60))).toBe('VALIDATION');
    expect(codeOf(w(8 * 1440, 8 * 1440 + 60))).toBe('VALIDATION');
    expect(codeOf(w(60, 60))).toBe('VALIDATION');
    expect(codeOf(w(0, 25 * 60))).toBe('VALIDATION');
  });
});

describe('quotaGate', () => {
  it('counts creations under way, so two at once cannot both take the last slot', async () => {
    const stored: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const gate = quotaGate(async (userId) => (userId === 'u1' ? stored.length : 0), () => 1);
    const first = gate('u1', now, async () => {
      await held;
      stored.push('a');
    });
    const second = gate('u1', now, async () => stored.push('b'));
    await expect(second).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    release();
    await first;
    expect(stored).toEqual(['a']);
    await expect(gate('u1', now, async () => stored.push('c'))).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    await expect(gate('u2', now, async () => 'ok')).resolves.toBe('ok');
  });
});

describe('newPass', () => {
  const fields = { householdId: 'hh-1', createdBy: 'u1', visitorName: '王先生', phoneMasked: null, plate: null, validFrom: now, validUntil: at(60), allowedDoors: ['g1'], maxEntries: 1, codeHash: 'h' };
  it('is active and unused, created now, with a fresh url-safe id each time', () => {
    const a = newPass(fields, now);
    expect(a).toMatchObject({ ...fields, entriesUsed: 0, status: 'active', createdAt: now, revokedAt: null });
    expect(a.id).toMatch(/^pass-[A-Za-z0-9_-]{12}$/);
    expect(newPass(fields, now).id).not.toBe(a.id);
    expect(passState(a, now.getTime())).toBe('active');
  });
});
