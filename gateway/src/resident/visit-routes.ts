import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf, requireRole } from '../api/auth';
import { perUser } from '../api/limits';
import { lookupHash } from '../auth/hash';
import { qrPayload } from '../auth/pass-code';
import { ErrorReply } from '../contracts/api/auth';
import { IdParam } from '../contracts/api/passes';
import { VisitBody, VisitLinkBody, VisitLinkReply, VisitView } from '../contracts/api/resident';
import { maskName } from '../contracts/mask';
import { passState } from '../contracts/pass-state';
import { AppError } from '../errors';
import { doorPlace } from './live';
import { type ResidentRouteDeps, errors, householdOf, notFound, perMinute, security } from './route-context';
import { openVisitLink, sealVisitLink } from './visit-link';

/**
 * The visitor link: the resident seals one for a pass they hold the code of, and the visitor (no account) opens it to
 * show the QR at the gate (visit-link.ts).
 */
export function registerVisitRoutes(app: FastifyInstance, deps: ResidentRouteDeps) {
  const { repo } = deps;
  const r = app.withTypeProvider<ZodTypeProvider>();

  async function doorNames(ids: string[]): Promise<Map<string, string>> {
    const names = await repo.deviceNames(ids);
    return new Map([...names].map(([id, name]) => [id, doorPlace(name)]));
  }

  r.post('/api/v1/resident/passes/:id/link', {
    preHandler: requireRole('resident'),
    config: perMinute(),
    schema: {
      tags: ['resident'],
      summary: 'A link the visitor opens to show the QR at the gate (the token goes after # in the link)',
      description: 'Needs the pass\'s code, which only the creator holds. Another household\'s pass answers 404.',
      security,
      params: IdParam,
      body: VisitLinkBody,
      response: { 200: VisitLinkReply, ...errors },
    },
  }, async (req) => {
    const householdId = householdOf(principalOf(req));
    const pass = await repo.pass(req.params.id);
    if (!pass || pass.householdId !== householdId) throw notFound('pass');
    if (lookupHash(deps.credentialKey, 'pass', req.body.code) !== pass.codeHash) throw new AppError('VALIDATION', 'code: not this pass\'s code', { details: { issues: [{ path: '/code', message: 'not this pass\'s code' }] } });
    return { token: sealVisitLink(deps.linkKey, pass.id, req.body.code) };
  });

  // Public: the visitor has no account. The token is the capability; answers are the same for a bad token and a
  // pass that no longer exists, and the QR is only returned while the pass can open a door.
  r.post('/api/v1/visit', {
    config: perUser(30, 60_000),
    schema: { tags: ['resident'], summary: "A visitor's page: the pass's QR, code and window while it is usable", body: VisitBody, response: { 200: VisitView, 400: ErrorReply, 404: ErrorReply, 429: ErrorReply } },
  }, async (req) => {
    const opened = openVisitLink(deps.linkKey, req.body.token);
    if (!opened) throw notFound('visitor link');
    const pass = await repo.passForVisit(opened.passId);
    if (!pass || lookupHash(deps.credentialKey, 'pass', opened.code) !== pass.codeHash) throw notFound('visitor link');
    const state = passState(pass, deps.now().getTime());
    const doorIds = z.array(z.string()).parse(JSON.parse(pass.allowedDoors));
    const names = await doorNames(doorIds);
    const usable = state === 'active' || state === 'upcoming';
    const h = pass.household;
    const host = h.residents[0]?.name;
    return {
      community: h.unit.building.community.name,
      visitorName: pass.visitorName,
      host: host === undefined ? '' : maskName(host),
      place: `${h.unit.building.name}${h.unit.number}单元`,
      timezone: h.unit.building.community.timezone,
      validFrom: pass.validFrom.toISOString(),
      validUntil: pass.validUntil.toISOString(),
      state,
      entriesLeft: Math.max(0, pass.maxEntries - pass.entriesUsed),
      doors: doorIds.map((id) => names.get(id) ?? id),
      code: usable ? opened.code : null,
      qrPayload: usable ? qrPayload(deps.qrSigningKey, opened.code) : null,
    };
  });
}
