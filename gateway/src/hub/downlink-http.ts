// The hub's downlink routes (docs/scale-out.md "The downlink"): a hub user sends residents, visitor passes and
// credentials to a compound in scope (404 outside it, like a compound that does not exist). Each body is parsed with
// the cell API's own schema (contracts/downlink.ts), stored in PostgreSQL, then published by the outbox; the reply is
// the stored command (202), and the command's status shows the cell's answer once it comes.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Pool } from 'pg';
import { z } from 'zod';
import { ErrorReply } from '../contracts/api/auth';
import type { HubUser } from '../contracts/api/hub';
import { HubDownlinkCommand, HubDownlinkList } from '../contracts/api/hub-downlink';
import { AdminResidentBody, AdminResidentPatch } from '../contracts/api/admin-people';
import { CredentialEnrolBody, CredentialPatchBody } from '../contracts/api/credentials';
import { DownlinkBodies, type DownlinkKind } from '../contracts/downlink';
import { CompoundId } from '../contracts/replication';
import { AppError } from '../errors';
import type { DownlinkOutbox } from './downlink';
import type { DownlinkStore } from './downlink-store';
import { compoundsOf } from './users';

export interface DownlinkHttpDeps {
  pool: Pool;
  store: DownlinkStore;
  outbox: DownlinkOutbox;
  userOf: (req: FastifyRequest) => HubUser;
}

const Secured = { security: [{ bearer: [] }] };
const RecordId = z.string().min(1).max(64);
const Compound = z.object({ id: CompoundId });
const errors = { 400: ErrorReply, 401: ErrorReply, 404: ErrorReply };
/** How long a request waits for its command's publish before answering (status 'pending' after that). */
const FLUSH_WAIT_MS = 6_000;

/** The compound, if the caller's scope covers it and the hub knows it (registered, or a cell that replicated). */
async function compoundInScope(deps: DownlinkHttpDeps, req: FastifyRequest, id: string): Promise<string> {
  const scope = await compoundsOf(deps.pool, deps.userOf(req).scope);
  const known = await deps.pool.query('SELECT 1 FROM hub_compound WHERE id = $1 UNION ALL SELECT 1 FROM cell_watermark WHERE compound = $1 LIMIT 1', [id]);
  if ((scope !== null && !scope.includes(id)) || known.rows.length === 0) throw new AppError('NOT_FOUND', `no compound ${id}`);
  return id;
}

export function registerDownlinkRoutes(app: FastifyInstance, deps: DownlinkHttpDeps) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const reply202 = { 202: HubDownlinkCommand, ...errors };

  /** Stores the command, lets the outbox publish it (awaited: usually 'sent' by the reply), and answers 202. */
  async function send<K extends DownlinkKind>(req: FastifyRequest, compoundId: string, kind: K, body: z.input<(typeof DownlinkBodies)[K]>) {
    const compound = await compoundInScope(deps, req, compoundId);
    // The cell API's own schema once more, on the assembled body (path ids included).
    const parsed = DownlinkBodies[kind].parse(body);
    const user = deps.userOf(req);
    const row = await deps.store.add({ compound, kind, body: parsed, createdBy: user.username });
    req.log.info({ userId: user.userId, compound, kind, commandId: row.id, seq: row.seq }, 'hub: downlink command accepted');
    // Published by the reply in the usual case; a JetStream that does not answer leaves it 'pending' for the outbox.
    await Promise.race([deps.outbox.flush(), new Promise((r) => setTimeout(r, FLUSH_WAIT_MS))]);
    const stored = await deps.store.get(compound, row.id, user.username);
    if (stored === null) throw new AppError('INTERNAL', 'the stored command is gone');
    return stored;
  }

  r.post('/api/hub/compounds/:id/residents', { schema: { ...Secured, params: Compound, body: AdminResidentBody, response: reply202 } }, async (req, reply) =>
    reply.code(202).send(await send(req, req.params.id, 'resident_create', req.body)));
  r.patch('/api/hub/compounds/:id/residents/:residentId', {
    schema: { ...Secured, params: Compound.extend({ residentId: RecordId }), body: AdminResidentPatch, response: reply202 },
  }, async (req, reply) => reply.code(202).send(await send(req, req.params.id, 'resident_update', { residentId: req.params.residentId, patch: req.body })));
  r.post('/api/hub/compounds/:id/passes', { schema: { ...Secured, params: Compound, body: DownlinkBodies.pass_issue, response: reply202 } }, async (req, reply) =>
    reply.code(202).send(await send(req, req.params.id, 'pass_issue', req.body)));
  r.post('/api/hub/compounds/:id/passes/:passId/revoke', { schema: { ...Secured, params: Compound.extend({ passId: RecordId }), response: reply202 } }, async (req, reply) =>
    reply.code(202).send(await send(req, req.params.id, 'pass_revoke', { passId: req.params.passId })));
  r.post('/api/hub/compounds/:id/residents/:residentId/credentials', {
    schema: { ...Secured, params: Compound.extend({ residentId: RecordId }), body: CredentialEnrolBody, response: reply202 },
  }, async (req, reply) => reply.code(202).send(await send(req, req.params.id, 'credential_enrol', { residentId: req.params.residentId, credential: req.body })));
  r.patch('/api/hub/compounds/:id/credentials/:credentialId', {
    schema: { ...Secured, params: Compound.extend({ credentialId: RecordId }), body: CredentialPatchBody, response: reply202 },
  }, async (req, reply) => reply.code(202).send(await send(req, req.params.id, 'credential_status', { credentialId: req.params.credentialId, patch: req.body })));
  r.delete('/api/hub/compounds/:id/credentials/:credentialId', { schema: { ...Secured, params: Compound.extend({ credentialId: RecordId }), response: reply202 } }, async (req, reply) =>
    reply.code(202).send(await send(req, req.params.id, 'credential_remove', { credentialId: req.params.credentialId })));

  r.get('/api/hub/compounds/:id/downlink', { schema: { ...Secured, params: Compound, response: { 200: HubDownlinkList, ...errors } } }, async (req) => ({
    commands: await deps.store.list(await compoundInScope(deps, req, req.params.id)),
  }));
  r.get('/api/hub/compounds/:id/downlink/:commandId', {
    schema: { ...Secured, params: Compound.extend({ commandId: z.uuid() }), response: { 200: HubDownlinkCommand, ...errors } },
  }, async (req) => {
    const compound = await compoundInScope(deps, req, req.params.id);
    const c = await deps.store.get(compound, req.params.commandId, deps.userOf(req).username);
    if (c === null) throw new AppError('NOT_FOUND', `no command ${req.params.commandId}`);
    return c;
  });
}
