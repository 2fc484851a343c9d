// Who may use the hub's NATS, and for what (docs/security.md, "Compounds apart at the hub"). Every cell's leaf node
// signs in as its own user, whose permissions name only its own compound's subjects: it can publish its rows, its
// downlink results and its answers to commands, read its own downlink consumer and renew its own liveness key, and
// receive its own commands and the replies to its own inbox prefix. The hub's processes sign in as `hub`. A leaf node
// that signs in as nobody lands in the account NOBODY, which has no JetStream and no subjects shared with anyone.
//
// nats-server reads users from its configuration file, so the rows here are rendered into an accounts file that every
// node includes (`hub-cli nats-render`, run by each hub-cli nats command) and applied with a reload (SIGHUP).
import { renameSync, writeFileSync } from 'node:fs';
import bcrypt from 'bcryptjs';
import type { Pool } from 'pg';
import { z } from 'zod';
import { COMMAND_PREFIX, COMMAND_REPLY_PREFIX } from '../contracts/commands';
import { downlinkConsumer, downlinkFilter } from '../contracts/downlink';
import { CELLS_BUCKET, type CompoundId, REPLICATION_STREAM, WATERMARK_BUCKET, cellInboxPrefix, cellNatsUser } from '../contracts/replication';

/** The hub's own processes (writer, duty desk, commands): every subject of the account. */
export const HUB_NATS_USER = 'hub';
/** The account every user of the hub's NATS belongs to (JetStream enabled), and the one for leaf nodes with no user. */
export const HUB_ACCOUNT = 'LINLI';
export const NOBODY_ACCOUNT = 'NOBODY';
/** bcrypt's cost: nats-server checks the hash at each connection, and the passwords are random 192-bit values. */
const BCRYPT_COST = 10;

export interface NatsPermissions {
  publish: string[];
  subscribe: string[];
}

/**
 * What a cell's user may do, for a leaf node (JetStream's API under the hub's domain, `$JS.<domain>.API.…`) and for a
 * client connected straight to the hub (`$JS.API.…`).
 */
export function cellPermissions(compound: CompoundId, domain: string): NatsPermissions {
  const api = (s: string) => [`$JS.API.${s}`, `$JS.${domain}.API.${s}`];
  const consumer = downlinkConsumer(compound);
  return {
    publish: [
      // Its replicated rows (linli.<compound>.<table>) and its answers to the downlink.
      `linli.${compound}.*`,
      `linli.down-result.${compound}.*`,
      // Its answers to commands (contracts/commands.ts: a cell cannot publish into the hub's inboxes).
      `${COMMAND_REPLY_PREFIX}.${compound}.>`,
      // Its liveness key, and nobody else's.
      `$KV.${CELLS_BUCKET}.${compound}`,
      `$JS.${domain}.API.$KV.${CELLS_BUCKET}.${compound}`,
      // JetStream's account info (the client checks the API is there), and the watermarks (counters, not secrets: the
      // get by subject names the bucket, not the key).
      ...api('INFO'),
      ...api(`STREAM.MSG.GET.KV_${WATERMARK_BUCKET}`),
      ...api(`DIRECT.GET.KV_${WATERMARK_BUCKET}.$KV.${WATERMARK_BUCKET}.${compound}.>`),
      // Its own downlink consumer: created only with its own filter (the server refuses a create whose subject's
      // filter is not the request's), read, fetched from and acknowledged.
      ...api(`CONSUMER.CREATE.${REPLICATION_STREAM}.${consumer}.${downlinkFilter(compound)}`),
      ...api(`CONSUMER.INFO.${REPLICATION_STREAM}.${consumer}`),
      ...api(`CONSUMER.MSG.NEXT.${REPLICATION_STREAM}.${consumer}`),
      `$JS.ACK.${REPLICATION_STREAM}.${consumer}.>`,
    ],
    subscribe: [`${COMMAND_PREFIX}.${compound}.>`, `${cellInboxPrefix(compound)}.>`],
  };
}

const NatsUserRow = z.object({ username: z.string(), compound: z.string().nullable(), password_hash: z.string() });
type NatsUserRow = z.infer<typeof NatsUserRow>;

const q = (s: string) => JSON.stringify(s);
const list = (xs: string[]) => `[${xs.map(q).join(', ')}]`;

/** The accounts file the hub's NATS nodes include: the users, their password hashes and their permissions. */
export function renderNatsAuth(users: NatsUserRow[], domain: string): string {
  const lines = users.map((u) => {
    if (u.compound === null) return `      { user: ${q(u.username)}, password: ${q(u.password_hash)} }`;
    const p = cellPermissions(u.compound, domain);
    return `      { user: ${q(u.username)}, password: ${q(u.password_hash)}, permissions: { publish: { allow: ${list(p.publish)} }, subscribe: { allow: ${list(p.subscribe)} } } }`;
  });
  return [
    '# Written by hub-cli from the hub_nats_user table (docs/security.md). Do not edit: run hub-cli nats-render.',
    'accounts {',
    `  ${NOBODY_ACCOUNT}: {}`,
    `  ${HUB_ACCOUNT}: {`,
    '    jetstream: enabled',
    '    users: [',
    ...lines,
    '    ]',
    '  }',
    '}',
    '',
  ].join('\n');
}

/** The hub's NATS users in PostgreSQL (hub_nats_user): only bcrypt hashes, never a password. */
export function hubNatsUsers(pool: Pool) {
  const save = async (username: string, compound: CompoundId | null, password: string) => {
    const hash = await bcrypt.hash(password, BCRYPT_COST);
    await pool.query(
      `INSERT INTO hub_nats_user (username, compound, password_hash) VALUES ($1, $2, $3)
       ON CONFLICT (username) DO UPDATE SET password_hash = EXCLUDED.password_hash, updated_at = now()`,
      [username, compound, hash],
    );
  };
  return {
    /** The hub's own user (a new password replaces the old one). */
    hub: (password: string) => save(HUB_NATS_USER, null, password),
    /** A cell's user, cell-<compound> (a new password replaces the old one: the leaf node needs the new one). */
    cell: (compound: CompoundId, password: string) => save(cellNatsUser(compound), compound, password),
    /** Removes a cell's user: its leaf node is refused from the next reload on. */
    async revoke(compound: CompoundId): Promise<boolean> {
      return ((await pool.query('DELETE FROM hub_nats_user WHERE compound = $1', [compound])).rowCount ?? 0) > 0;
    },
    async all(): Promise<NatsUserRow[]> {
      return z.array(NatsUserRow).parse((await pool.query('SELECT username, compound, password_hash FROM hub_nats_user ORDER BY username')).rows);
    },
  };
}

/** Writes the accounts file whole (a new file renamed over the old, readable by its owner only). */
export function writeNatsAuthFile(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, path);
}
