import type { SitePlan } from '@linli/gateway/contracts/api/site';
import { api } from './api';

let plan: Promise<SitePlan> | null = null;

/** The site plan changes only when an administrator enrols something: load it once per session. */
export function sitePlan(): Promise<SitePlan> {
  plan ??= api.site().catch((err: unknown) => {
    plan = null;
    throw err;
  });
  return plan;
}
