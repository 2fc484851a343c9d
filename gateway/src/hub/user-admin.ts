// Hub users managed by hub users (docs/scale-out.md "Managing hub users"): someone allowed to manage users sees and
// changes the accounts inside their own scope only — a street's desk manages its street's and its compounds' people,
// never the district's or another street's. A password the hub draws for someone else is one-time; every change is
// recorded in hub_user_audit (never a password). Outcomes are values; hub/user-routes.ts turns them into replies.
import type { Pool, PoolClient } from 'pg';
import { z } from 'zod';
import { hashSecret, newSecret, verifySecret } from '../auth/hash';
import { tokenHash } from '../auth/sessions';
import type { HubScope } from '../contracts/api/hub';
import { type HubAccountChange, HubAccountAction, HubUserCreateBody, type HubUserView } from '../contracts/api/hub-users';

const ViewRow = z.object({
  username: z.string(),
  display_name: z.string(),
  scope: z.enum(['district', 'street', 'compound']),
  scope_id: z.string().nullable(),
  scope_name: z.string().nullable(),
  manages_users: z.boolean(),
  disabled: z.boolean(),
  must_change_password: z.boolean(),
  created_at: z.date(),
  created_by: z.string().nullable(),
});
const ChangeRow = z.object({ at: z.date(), actor: z.string(), action: HubAccountAction, target: z.string() });

const VIEW_SELECT = `SELECT u.username, u.display_name, u.scope, u.scope_id, u.manages_users, u.disabled, u.must_change_password,
    u.created_at, u.created_by, CASE u.scope WHEN 'street' THEN s.name WHEN 'compound' THEN c.name END AS scope_name
  FROM hub_user u
  LEFT JOIN hub_street s ON u.scope = 'street' AND s.id = u.scope_id
  LEFT JOIN hub_compound c ON u.scope = 'compound' AND c.id = u.scope_id`;

/** The users a scope covers, as SQL on `hub_user u` with its one parameter ($1; none for the district). */
function usersIn(scope: HubScope): { where: string; params: string[] } {
  switch (scope.kind) {
    case 'district':
      return { where: 'true', params: [] };
    case 'street':
      return {
        where: `((u.scope = 'street' AND u.scope_id = $1) OR (u.scope = 'compound' AND u.scope_id IN (SELECT id FROM hub_compound WHERE street_id = $1)))`,
        params: [scope.id],
      };
    case 'compound':
      return { where: `u.scope = 'compound' AND u.scope_id = $1`, params: [scope.id] };
  }
}

const toView = (r: z.infer<typeof ViewRow>): HubUserView => ({
  username: r.username,
  displayName: r.display_name,
  scope: r.scope === 'district' ? { kind: 'district' } : { kind: r.scope, id: r.scope_id ?? '' },
  scopeName: r.scope_name,
  managesUsers: r.manages_users,
  disabled: r.disabled,
  mustChangePassword: r.must_change_password,
  createdAt: r.created_at.toISOString(),
  createdBy: r.created_by,
});

export interface Actor {
  userId: string;
  username: string;
  scope: HubScope;
}

export type AccountOutcome<T> =
  | { ok: true; value: T }
  | { ok: false; reason: 'not_found' | 'self' | 'exists' | 'outside_scope' | 'unregistered' | 'wrong_password' };

async function audit(db: Pool | PoolClient, actor: string, action: z.infer<typeof HubAccountAction>, target: string, detail: object = {}) {
  await db.query('INSERT INTO hub_user_audit (actor, action, target, detail) VALUES ($1, $2, $3, $4)', [actor, action, target, JSON.stringify(detail)]);
}

/** The accounts inside the actor's scope and the latest changes to them. */
async function listUsers(pool: Pool, actor: Actor): Promise<{ users: HubUserView[]; changes: HubAccountChange[] }> {
  const f = usersIn(actor.scope);
  const users = await pool.query(`${VIEW_SELECT} WHERE ${f.where} ORDER BY CASE u.scope WHEN 'district' THEN 0 WHEN 'street' THEN 1 ELSE 2 END, u.scope_id NULLS FIRST, u.username`, f.params);
  const changes = await pool.query(
    `SELECT a.at, a.actor, a.action, a.target FROM hub_user_audit a
     WHERE a.target IN (SELECT u.username FROM hub_user u WHERE ${f.where}) ORDER BY a.at DESC, a.id DESC LIMIT 50`,
    f.params,
  );
  return {
    users: users.rows.map((r) => toView(ViewRow.parse(r))),
    changes: changes.rows.map((r) => {
      const c = ChangeRow.parse(r);
      return { ...c, at: c.at.toISOString() };
    }),
  };
}

export function hubUserAdmin(pool: Pool) {
  /** Whether `target` lies inside `manager` (a street covers its compounds), and is registered. */
  async function covers(manager: HubScope, target: HubScope): Promise<'yes' | 'outside_scope' | 'unregistered'> {
    if (target.kind === 'street' && (await pool.query('SELECT 1 FROM hub_street WHERE id = $1', [target.id])).rowCount === 0) return 'unregistered';
    const street =
      target.kind === 'compound'
        ? await pool.query('SELECT street_id FROM hub_compound WHERE id = $1', [target.id]).then((r) => (r.rows[0] === undefined ? undefined : z.object({ street_id: z.string().nullable() }).parse(r.rows[0]).street_id))
        : null;
    if (target.kind === 'compound' && street === undefined) return 'unregistered';
    if (manager.kind === 'district') return 'yes';
    if (manager.kind === 'street') return (target.kind === 'street' && target.id === manager.id) || (target.kind === 'compound' && street === manager.id) ? 'yes' : 'outside_scope';
    return target.kind === 'compound' && target.id === manager.id ? 'yes' : 'outside_scope';
  }

  /** A user inside the actor's scope (not the actor: their own account changes through the password change only). */
  async function target(actor: Actor, username: string): Promise<AccountOutcome<string>> {
    const f = usersIn(actor.scope);
    const res = await pool.query(`SELECT u.id FROM hub_user u WHERE u.username = $${f.params.length + 1} AND ${f.where}`, [...f.params, username.toLowerCase()]);
    const row = res.rows[0] === undefined ? null : z.object({ id: z.string() }).parse(res.rows[0]);
    if (row === null) return { ok: false, reason: 'not_found' };
    return row.id === actor.userId ? { ok: false, reason: 'self' } : { ok: true, value: row.id };
  }

  /** A fresh one-time password for user `id`: their sessions end, and they must change it at the next sign-in. */
  async function oneTime(id: string): Promise<string> {
    const password = newSecret();
    await pool.query('UPDATE hub_user SET password_hash = $2, must_change_password = true WHERE id = $1', [id, await hashSecret(password)]);
    await pool.query('UPDATE hub_session SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL', [id]);
    return password;
  }

  return {
    list: (actor: Actor) => listUsers(pool, actor),

    async create(actor: Actor, body: z.output<typeof HubUserCreateBody>): Promise<AccountOutcome<string>> {
      const inside = await covers(actor.scope, body.scope);
      if (inside !== 'yes') return { ok: false, reason: inside };
      const password = newSecret();
      const res = await pool.query(
        `INSERT INTO hub_user (username, display_name, password_hash, scope, scope_id, manages_users, must_change_password, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, true, $7) ON CONFLICT (username) DO NOTHING`,
        [body.username.toLowerCase(), body.displayName, await hashSecret(password), body.scope.kind, body.scope.kind === 'district' ? null : body.scope.id, body.managesUsers, actor.username],
      );
      if (res.rowCount === 0) return { ok: false, reason: 'exists' };
      await audit(pool, actor.username, 'created', body.username.toLowerCase(), { scope: body.scope, managesUsers: body.managesUsers });
      return { ok: true, value: password };
    },

    async resetPassword(actor: Actor, username: string): Promise<AccountOutcome<string>> {
      const t = await target(actor, username);
      if (!t.ok) return t;
      const password = await oneTime(t.value);
      await audit(pool, actor.username, 'password_reset', username.toLowerCase());
      return { ok: true, value: password };
    },

    /** Disables (ending the sessions) or enables an account. */
    async setDisabled(actor: Actor, username: string, disabled: boolean): Promise<AccountOutcome<null>> {
      const t = await target(actor, username);
      if (!t.ok) return t;
      await pool.query('UPDATE hub_user SET disabled = $2 WHERE id = $1', [t.value, disabled]);
      if (disabled) await pool.query('UPDATE hub_session SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL', [t.value]);
      await audit(pool, actor.username, disabled ? 'disabled' : 'enabled', username.toLowerCase());
      return { ok: true, value: null };
    },

    /** The signed-in user's own password; their other sessions end, the one in `token` stays. */
    async changeOwn(actor: Actor, token: string, current: string, next: string): Promise<AccountOutcome<null>> {
      const res = await pool.query('SELECT password_hash FROM hub_user WHERE id = $1', [actor.userId]);
      const row = res.rows[0] === undefined ? null : z.object({ password_hash: z.string() }).parse(res.rows[0]);
      if (row === null) return { ok: false, reason: 'not_found' };
      if (!(await verifySecret(row.password_hash, current))) return { ok: false, reason: 'wrong_password' };
      await pool.query('UPDATE hub_user SET password_hash = $2, must_change_password = false WHERE id = $1', [actor.userId, await hashSecret(next)]);
      await pool.query('UPDATE hub_session SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL AND token_hash <> $2', [actor.userId, tokenHash(token)]);
      await audit(pool, actor.username, 'password_changed', actor.username);
      return { ok: true, value: null };
    },
  };
}
export type HubUserAdmin = ReturnType<typeof hubUserAdmin>;
