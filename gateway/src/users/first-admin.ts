import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { hashSecret } from '../auth/hash';
import type { PrismaClient } from '../db/client';
import { auditData } from '../db/access';
import { oneTimePassword } from './service';

export const FIRST_ADMIN_USERNAME = 'admin';

export type FirstAdmin =
  | { created: false }
  | { created: true; username: string; password: string; source: 'generated' }
  | { created: true; username: string; source: 'file' };

/**
 * First start of a real installation: a database without any user gets one admin account, `admin`, whose password
 * is one-time (changed at the first login). It is generated, or read from ADMIN_INITIAL_PASSWORD_FILE (first line,
 * trimmed) when an installer provisions it that way. The caller prints a generated password once, to stdout only —
 * never to the log. A database with any user (the demo's seed, an existing installation) is left alone.
 */
export async function ensureFirstAdmin(prisma: PrismaClient, opts: { passwordFile?: string | undefined }): Promise<FirstAdmin> {
  if ((await prisma.user.count()) > 0) return { created: false };
  let password: string;
  let source: 'generated' | 'file';
  if (opts.passwordFile !== undefined) {
    password = (readFileSync(opts.passwordFile, 'utf8').split('\n')[0] ?? '').trim();
    if (password.length < 8) throw new Error(`ADMIN_INITIAL_PASSWORD_FILE (${opts.passwordFile}): the first line must hold a password of at least 8 characters`);
    source = 'file';
  } else {
    password = oneTimePassword();
    source = 'generated';
  }
  const id = `usr-${randomBytes(9).toString('base64url')}`;
  const passwordHash = await hashSecret(password);
  // Conditional on the table still being empty: two starts racing on one file create one admin.
  const created = await prisma.$transaction(async (tx) => {
    if ((await tx.user.count()) > 0) return false;
    await tx.user.create({ data: { id, username: FIRST_ADMIN_USERNAME, displayName: '管理员', role: 'admin', passwordHash, mustChangePassword: true } });
    await tx.auditLog.create({
      data: auditData({ actor: 'system:first-start', action: 'user.create', entity: 'User', entityId: id, detail: { before: null, after: { username: FIRST_ADMIN_USERNAME, role: 'admin', mustChangePassword: true, passwordFrom: source } } }),
    });
    return true;
  });
  if (!created) return { created: false };
  return source === 'file' ? { created: true, username: FIRST_ADMIN_USERNAME, source } : { created: true, username: FIRST_ADMIN_USERNAME, password, source };
}

/** The lines `npm start` prints to stdout once (never to the log). */
export function firstAdminBanner(a: Extract<FirstAdmin, { created: true }>, url: string): string {
  const pw = a.source === 'generated' ? `  one-time password: ${a.password}` : '  password: the one in ADMIN_INITIAL_PASSWORD_FILE';
  return [
    '',
    'linli: first start — created the administrator account (shown once, not logged):',
    `  user name:         ${a.username}`,
    pw,
    `  sign in at ${url} and choose a new password; the setup checklist shows the next steps.`,
    '',
  ].join('\n');
}
