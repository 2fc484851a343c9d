import type { AlertSourceRepo } from '../db/alert-sources';
import type { Logger } from '../log';
import type { AlertSettings, Decision } from '../rules/types';
import { welfareActivity, welfareRule } from '../rules/welfare';

/**
 * 六必访 welfare checks: periodically looks at every elderly_alone household's latest door grant (stored by
 * access/) and raises a welfare check after the configured silence; a new grant for the household ends it.
 */
export function createWelfare(settings: AlertSettings, deps: { sources: AlertSourceRepo; apply: (d: Decision) => void; log: Logger; now: () => Date }) {
  /** Grants seen on the bus since the last sweep, in case the stored row is not yet visible to the sweep's read. */
  const recent = new Map<string, Date>();
  let sweeping: Promise<void> | null = null;

  async function sweep(): Promise<void> {
    const subjects = await deps.sources.welfareSubjects();
    const now = deps.now();
    for (const s of subjects) {
      const seen = recent.get(s.householdId);
      const last = seen && (!s.lastActivityAt || seen > s.lastActivityAt) ? seen : s.lastActivityAt;
      for (const d of welfareRule({ ...s, lastActivityAt: last }, settings, now)) deps.apply(d);
    }
    recent.clear();
  }

  return {
    activity(householdId: string, at: Date) {
      recent.set(householdId, at);
      for (const d of welfareActivity(householdId, at)) deps.apply(d);
    },
    sweep(): Promise<void> {
      sweeping ??= sweep()
        .catch((err: unknown) => deps.log.error({ err }, 'welfare check failed'))
        .finally(() => {
          sweeping = null;
        });
      return sweeping;
    },
  };
}

export type Welfare = ReturnType<typeof createWelfare>;
