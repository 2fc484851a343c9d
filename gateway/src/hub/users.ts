// Hub users, their sessions and the compound registry (postgres/migrations/20261202090000_hub_users.sql,
// docs/scale-out.md "Hub users and scopes"). Passwords are argon2id through the cell's own auth/hash.ts; bearer tokens
// are stored as SHA-256 only (auth/sessions.ts's tokenHash), as on the cell.
import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import { z } from 'zod';
import { hashSecret, verifySecret } from '../auth/hash';
import { dummy, tokenHash } from '../auth/sessions';
import { HubScope, type HubLoginReply, type HubUser } from '../contracts/api/hub';

const UserRow = z.object({
  id: z.string(),
  username: z.string(),
  display_name: z.string(),
  password_hash: z.string(),
  scope: z.enum(['district', 'street', 'compound']),
  scope_id: z.string().nullable(),
  disabled: z.boolean(),
  manages_users: z.boolean(),
  must_change_password: z.boolean(),
  scope_name: z.string().nullable(),
});
type UserRow = z.infer<typeof UserRow>;

const USER_SELECT = `SELECT u.id, u.username, u.display_name, u.password_hash, u.scope, u.scope_id, u.disabled,
    u.manages_users, u.must_change_password,
    CASE u.scope WHEN 'street' THEN s.name WHEN 'compound' THEN c.name END AS scope_name
  FROM hub_user u
  LEFT JOIN hub_street s ON u.scope = 'street' AND s.id = u.scope_id
  LEFT JOIN hub_compound c ON u.scope = 'compound' AND c.id = u.scope_id`;

function toUser(r: UserRow): HubUser {
  const scope = HubScope.parse(r.scope === 'district' ? { kind: 'district' } : { kind: r.scope, id: r.scope_id });
  return {
    userId: r.id,
    username: r.username,
    displayName: r.display_name,
    scope,
    scopeName: r.scope_name,
    managesUsers: r.manages_users,
    mustChangePassword: r.must_change_password,
  };
}

/** The compounds a scope covers: null for the district (everything, registered or not). */
export async function compoundsOf(pool: Pool, scope: HubScope): Promise<string[] | null> {
  switch (scope.kind) {
    case 'district':
      return null;
    case 'compound':
      return [scope.id];
    case 'street': {
      const res = await pool.query('SELECT id FROM hub_compound WHERE street_id = $1', [scope.id]);
      return res.rows.map((r) => z.object({ id: z.string() }).parse(r).id);
    }
  }
}

export type HubLogin = { ok: true; reply: HubLoginReply } | { ok: false; knownUser: boolean };

export function hubUsers(pool: Pool, ttlMs: number) {
  return {
    async login(username: string, password: string, now = new Date()): Promise<HubLogin> {
      const res = await pool.query(`${USER_SELECT} WHERE u.username = $1`, [username.toLowerCase()]);
      const row = res.rows[0] === undefined ? null : UserRow.parse(res.rows[0]);
      // An unknown name costs as much as a wrong password (no probing for user names).
      const ok = await verifySecret(row?.password_hash ?? (await dummy()), password);
      if (row === null || !ok || row.disabled) return { ok: false, knownUser: row !== null };
      const token = randomBytes(32).toString('base64url');
      const expiresAt = new Date(now.getTime() + ttlMs);
      await pool.query('INSERT INTO hub_session (token_hash, user_id, expires_at) VALUES ($1, $2, $3)', [tokenHash(token), row.id, expiresAt]);
      return { ok: true, reply: { token, expiresAt: expiresAt.toISOString(), user: toUser(row) } };
    },
    /** The user of a live session (not expired, not revoked, user enabled), or null. */
    async resolve(token: string, now = new Date()): Promise<HubUser | null> {
      const res = await pool.query(
        `${USER_SELECT} JOIN hub_session x ON x.user_id = u.id
         WHERE x.token_hash = $1 AND x.revoked_at IS NULL AND x.expires_at > $2 AND NOT u.disabled`,
        [tokenHash(token), now],
      );
      return res.rows[0] === undefined ? null : toUser(UserRow.parse(res.rows[0]));
    },
    async logout(token: string, now = new Date()): Promise<void> {
      await pool.query('UPDATE hub_session SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL', [tokenHash(token), now]);
    },
  };
}
export type HubUsers = ReturnType<typeof hubUsers>;

/** The registry and the accounts, as the hub's CLI (hub-cli.ts) and the tests change them. */
export function hubRegistry(pool: Pool) {
  return {
    async street(id: string, name: string): Promise<void> {
      await pool.query('INSERT INTO hub_street (id, name) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET name = excluded.name', [id, name]);
    },
    async compound(id: string, name: string, streetId: string | null): Promise<void> {
      await pool.query(
        'INSERT INTO hub_compound (id, name, street_id) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET name = excluded.name, street_id = excluded.street_id',
        [id, name, streetId],
      );
    },
    /** Creates a user, or sets a new password and scope for an existing one (re-enabling it). */
    async user(u: { username: string; displayName: string; password: string; scope: HubScope; managesUsers?: boolean }): Promise<void> {
      const hash = await hashSecret(u.password);
      const scopeId = u.scope.kind === 'district' ? null : u.scope.id;
      await pool.query(
        `INSERT INTO hub_user (username, display_name, password_hash, scope, scope_id, manages_users) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (username) DO UPDATE SET display_name = excluded.display_name, password_hash = excluded.password_hash,
           scope = excluded.scope, scope_id = excluded.scope_id, manages_users = excluded.manages_users, disabled = false,
           must_change_password = false`,
        [u.username.toLowerCase(), u.displayName, hash, u.scope.kind, scopeId, u.managesUsers ?? false],
      );
    },
    /** Disables a user and ends their sessions. */
    async disable(username: string): Promise<boolean> {
      const res = await pool.query('UPDATE hub_user SET disabled = true WHERE username = $1', [username.toLowerCase()]);
      await pool.query('UPDATE hub_session SET revoked_at = now() WHERE revoked_at IS NULL AND user_id IN (SELECT id FROM hub_user WHERE username = $1)', [username.toLowerCase()]);
      return (res.rowCount ?? 0) > 0;
    },
  };
}
