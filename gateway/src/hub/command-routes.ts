// The hub's command routes (docs/scale-out.md "Commands", docs/security.md "Remote opening from the hub"): a
// compound's doors as its cell lists them, a remote open, and the record of commands sent. A compound outside the
// caller's scope answers 404 like one that does not exist; opening also needs hub_user.may_open_doors (else 403).
// No answer from the cell within HUB_COMMAND_TIMEOUT_MS is a 504, never a 200: the link or the cell is down.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ErrorReply } from '../contracts/api/auth';
import type { HubUser } from '../contracts/api/hub';
import { HubCommandList, HubDoorList, HubDoorOpenBody, HubDoorOpenReply } from '../contracts/api/hub-commands';
import { CompoundId } from '../contracts/replication';
import { AppError } from '../errors';
import type { Commander } from './commands';

const Secured = { security: [{ bearer: [] }] };
const Params = z.object({ id: CompoundId });
const DoorParams = Params.extend({ door: z.string().regex(/^[\x21-\x7e]{1,64}$/) });

/** A 504 with a code the page and scripts can branch on, and the exact meaning in the message. */
function noAnswer(code: 'CELL_NO_ANSWER' | 'CELL_UNREACHABLE', message: string, details: unknown) {
  return { statusCode: 504, body: { error: code, message, details } };
}

export function registerCommandRoutes(
  app: FastifyInstance,
  deps: { commander: Commander; userOf: (req: FastifyRequest) => HubUser; inScope: (req: FastifyRequest, compound: string) => Promise<boolean>; timeoutMs: number },
) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { commander } = deps;
  const visible = async (req: FastifyRequest, compound: string) => {
    if (!(await deps.inScope(req, compound))) throw new AppError('NOT_FOUND', `no compound ${compound}`);
  };

  r.get('/api/hub/compounds/:id/doors', {
    schema: { ...Secured, params: Params, response: { 200: HubDoorList, 401: ErrorReply, 404: ErrorReply, 409: ErrorReply, 504: ErrorReply } },
  }, async (req, reply) => {
    await visible(req, req.params.id);
    const res = await commander.doors(req.params.id);
    if (!res.ok && res.status === 'refused') throw new AppError('CONFLICT', `the cell refused: ${res.detail}`);
    if (!res.ok) {
      const e = noAnswer(res.status === 'timeout' ? 'CELL_NO_ANSWER' : 'CELL_UNREACHABLE', `compound ${req.params.id}: ${res.detail}`, null);
      return reply.code(504).send(e.body);
    }
    return { compound: req.params.id, doors: res.doors, mayOpen: await commander.mayOpenDoors(deps.userOf(req).userId) };
  });

  r.get('/api/hub/compounds/:id/commands', {
    schema: { ...Secured, params: Params, response: { 200: HubCommandList, 401: ErrorReply, 404: ErrorReply } },
  }, async (req) => {
    await visible(req, req.params.id);
    return { commands: await commander.recent(req.params.id) };
  });

  r.post('/api/hub/compounds/:id/doors/:door/open', {
    schema: { ...Secured, params: DoorParams, body: HubDoorOpenBody, response: { 200: HubDoorOpenReply, 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 404: ErrorReply, 504: ErrorReply } },
  }, async (req, reply) => {
    const user = deps.userOf(req);
    await visible(req, req.params.id);
    if (!(await commander.mayOpenDoors(user.userId))) throw new AppError('FORBIDDEN', 'this hub user may not open doors remotely (hub-cli doors <user> on)');
    const command = await commander.openDoor(user, req.params.id, req.params.door, req.body.reason);
    req.log.info({ userId: user.userId, compound: req.params.id, door: req.params.door, commandId: command.id, status: command.status, outcome: command.outcome }, 'hub: remote open');
    if (command.status === 'unreachable') {
      const e = noAnswer('CELL_UNREACHABLE', `compound ${req.params.id} is not connected to the hub: the command was not delivered, so it opened nothing`, { command });
      return reply.code(504).send(e.body);
    }
    if (command.status !== 'answered') {
      const e = noAnswer(
        'CELL_NO_ANSWER',
        `no answer from compound ${req.params.id} within ${deps.timeoutMs} ms (the link or the cell is down): whether the door opened is unknown unless the cell's answer arrives later (it is recorded with this command) or the compound's guard checks`,
        { command },
      );
      return reply.code(504).send(e.body);
    }
    return { command };
  });
}
