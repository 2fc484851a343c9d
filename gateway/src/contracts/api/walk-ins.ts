import { z } from 'zod';
import { VisitorName } from './passes';

const Iso = z.iso.datetime({ offset: true });

/**
 * A walk-in visitor the guard asks the host household about in the resident app, instead of phoning (issue 16,
 * item 3). The guard sends the same facts as for a phoned walk-in; the household answers in one tap; nobody
 * answering within WALK_IN_ANSWER_SEC makes it `unanswered` and the guard phones.
 */
export const WalkInAskBody = z
  .object({
    visitorName: VisitorName,
    /** The visitor's mobile, if given; stored and shown masked (138****1234) only. */
    phone: z.string().regex(/^1[3-9]\d{9}$/, 'phone: an 11-digit mobile number such as 13812341234').optional(),
    /** The last four characters of the visitor's ID number, if shown; kept for the guard and the audit, never sent to the household. */
    idLast4: z.string().regex(/^\d{3}[\dXx]$/, 'idLast4: the last four characters of an ID number, e.g. 123X').optional(),
    /** The host household: its id, or its label as the guard types it (3-2-501). */
    household: z.string().trim().min(1).max(64),
    reason: z.string().trim().min(2, 'reason: at least 2 characters').max(100).regex(/^[^\p{Cc}<>]+$/u, 'reason: no control characters or angle brackets'),
  })
  .strict();
export type WalkInAskBody = z.infer<typeof WalkInAskBody>;

/** pending until the household answers (approved / refused) or the time runs out (unanswered). */
export const WalkInState = z.enum(['pending', 'approved', 'refused', 'unanswered']);
export type WalkInState = z.infer<typeof WalkInState>;

/** The guard station's view of a request. */
export const WalkInRequestView = z.object({
  id: z.string(),
  householdId: z.string(),
  householdLabel: z.string(),
  visitorName: z.string(),
  phoneMasked: z.string().nullable(),
  idLast4: z.string().nullable(),
  reason: z.string(),
  state: WalkInState,
  createdAt: Iso,
  /** The household's answer is awaited until then. */
  answerBy: Iso,
  answeredAt: Iso.nullable(),
  /** Who answered, masked (王*). */
  answeredBy: z.string().nullable(),
  /** The pass made for an approved request, once the guard station collected it. */
  passId: z.string().nullable(),
});
export type WalkInRequestView = z.infer<typeof WalkInRequestView>;

export const WalkInWaitQuery = z
  .object({
    /** Long poll: answer as soon as the state is no longer this one (or after waitSec). */
    unlessState: WalkInState.optional(),
    waitSec: z.coerce.number().int().min(0).max(25).default(0),
  })
  .strict();

/**
 * The household's view (the phone app): the visitor's name as they gave it (the host must recognise them), the phone
 * masked, never the ID digits; where they wait and why they came.
 */
export const ResidentWalkIn = z.object({
  id: z.string(),
  visitorName: z.string(),
  phoneMasked: z.string().nullable(),
  reason: z.string(),
  state: WalkInState,
  createdAt: Iso,
  answerBy: Iso,
  answeredAt: Iso.nullable(),
});
export type ResidentWalkIn = z.infer<typeof ResidentWalkIn>;

export const ResidentWalkInList = z.object({ requests: z.array(ResidentWalkIn) });
export type ResidentWalkInList = z.infer<typeof ResidentWalkInList>;

export const WalkInAnswerBody = z.object({ answer: z.enum(['approve', 'refuse']) }).strict();
export type WalkInAnswerBody = z.infer<typeof WalkInAnswerBody>;
