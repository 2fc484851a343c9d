import type { AccessLimits } from '../api/limits';
import type { FeatureRoutes } from '../api/routes';
import { registerCredentialRoutes } from './credential-routes';
import type { CredentialService } from './credentials';
import { registerDoorRoutes } from './door-routes';
import type { DoorService } from './doors';
import { registerPassRoutes } from './pass-routes';
import type { PassService } from './passes';
import { registerPersonalQrRoutes } from './personal-qr-routes';
import type { PersonalQrService } from './personal-qr';
import { registerWalkInRoutes } from './walk-in-routes';
import type { WalkInService } from './walk-ins';

export interface AccessRouteDeps {
  passes: PassService;
  credentials: CredentialService;
  doors: DoorService;
  walkIns: WalkInService;
  personalQr: PersonalQrService;
  /** Every access route is limited per user (ACCESS_API_RATE_PER_MINUTE). */
  limits: AccessLimits;
}

/** The access routes: visitor passes (pass-routes.ts), residents, credentials and the blacklist (credential-routes.ts), doors (door-routes.ts). */
export function accessRoutes(deps: AccessRouteDeps): FeatureRoutes {
  return async (app) => {
    registerPassRoutes(app, deps.passes, deps.limits);
    registerCredentialRoutes(app, deps.credentials, deps.limits);
    registerDoorRoutes(app, deps.doors, deps.limits);
    registerWalkInRoutes(app, deps.walkIns, deps.limits);
    registerPersonalQrRoutes(app, deps.personalQr, deps.limits);
  };
}
