/**
 * The five-minute rule (docs/domain.md): how late an on-site confirmation is, in milliseconds after
 * `onSiteMin` from the report (0 or less: within the rule). One function for the action that refuses a late
 * confirmation without a reason and for the compliance report that counts it.
 */
export function onSiteLateMs(reportedAt: Date, onSiteAt: Date, onSiteMin: number): number {
  return onSiteAt.getTime() - reportedAt.getTime() - onSiteMin * 60_000;
}

/** Whole seconds late, rounded up (a confirmation 0.2 s late is 1 s late, never 0). */
export const lateSeconds = (lateMs: number) => Math.max(0, Math.ceil(lateMs / 1000));
