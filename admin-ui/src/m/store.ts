import { z } from 'zod';
import { ResidentHome } from '@linli/gateway/contracts/api/resident';

/**
 * Passes issued from this phone, kept on it: the code and QR are shown by the gateway once, and the resident must
 * be able to show them again — in a lift with no signal too (the service worker keeps the app itself).
 */
export const SavedPass = z.object({
  id: z.string(),
  userId: z.string(),
  visitorName: z.string(),
  validFrom: z.string(),
  validUntil: z.string(),
  code: z.string(),
  qrPayload: z.string(),
  link: z.string().nullable(),
});
export type SavedPass = z.infer<typeof SavedPass>;

const KEY = 'linli.m.passes';

export function savedPasses(userId: string): SavedPass[] {
  try {
    const parsed = z.array(SavedPass).safeParse(JSON.parse(localStorage.getItem(KEY) ?? '[]'));
    return parsed.success ? parsed.data.filter((p) => p.userId === userId) : [];
  } catch {
    return [];
  }
}

export function savePass(p: SavedPass): void {
  const now = Date.now();
  let all: SavedPass[] = [];
  try {
    const parsed = z.array(SavedPass).safeParse(JSON.parse(localStorage.getItem(KEY) ?? '[]'));
    if (parsed.success) all = parsed.data;
  } catch {
    all = [];
  }
  // Ended passes leave the phone a day after their end.
  const kept = all.filter((x) => x.id !== p.id && Date.parse(x.validUntil) > now - 86_400_000);
  localStorage.setItem(KEY, JSON.stringify([p, ...kept].slice(0, 50)));
}

export function forgetPasses(userId: string): void {
  localStorage.removeItem(HOME_KEY);
  try {
    const parsed = z.array(SavedPass).safeParse(JSON.parse(localStorage.getItem(KEY) ?? '[]'));
    if (parsed.success) localStorage.setItem(KEY, JSON.stringify(parsed.data.filter((p) => p.userId !== userId)));
  } catch {
    localStorage.removeItem(KEY);
  }
}

const HOME_KEY = 'linli.m.home';

/** The last /resident/home answer, for the card when there is no network. */
export function saveHome(userId: string, home: ResidentHome): void {
  localStorage.setItem(HOME_KEY, JSON.stringify({ userId, home }));
}

export function savedHome(userId: string): ResidentHome | null {
  try {
    const parsed = z.object({ userId: z.string(), home: ResidentHome }).safeParse(JSON.parse(localStorage.getItem(HOME_KEY) ?? 'null'));
    return parsed.success && parsed.data.userId === userId ? parsed.data.home : null;
  } catch {
    return null;
  }
}
