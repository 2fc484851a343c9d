import type { WalkInRecord, WalkInRepo } from '../db/walk-ins';
import type { AccessContext } from './context';

/**
 * What the parts of walk-in approval share: the service (walk-ins.ts: ask, answer, the pass), its deadline timers
 * (walk-in-deadlines.ts) and its long poll (walk-in-waits.ts). walkInService builds it once.
 */
export interface WalkInContext {
  readonly access: AccessContext;
  readonly repo: WalkInRepo;
  /** Request `r` changed state: wake its long polls and tell the household's phones (bus `walk-in-change`). */
  changed(r: WalkInRecord): void;
}
