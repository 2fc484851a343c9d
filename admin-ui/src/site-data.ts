import type { SitePlan } from '@linli/gateway/contracts/api/site';
import { api } from './api';
import { setCommunityZone } from './format';
import { mapCompound } from './site-plan-api';

const plans = new Map<string, Promise<SitePlan>>();

/**
 * The site plan changes only when an administrator enrols or places something: load it once per compound, and
 * again after forgetSitePlans() (the device states' planVersion moved). No compound: the one this station's map
 * shows (mapCompound), else the caller's own or the first.
 */
export function sitePlan(communityId?: string | null): Promise<SitePlan> {
  const wanted = communityId ?? mapCompound.get();
  const key = wanted ?? '';
  let plan = plans.get(key);
  if (!plan) {
    plan = api.site(wanted ?? undefined).then(
      (p) => {
        // The guard station's times are the compound's (not a fixed UTC+8).
        setCommunityZone(p.community.timezone);
        return p;
      },
      (err: unknown) => {
        plans.delete(key);
        throw err;
      },
    );
    plans.set(key, plan);
  }
  return plan;
}

/** Something on a plan changed (an upload, a placement): the next sitePlan() reads it again. */
export function forgetSitePlans(): void {
  plans.clear();
}
