import type { FastifyInstance } from 'fastify';
import { registerHomeRoutes } from './home-routes';
import { registerLiveRoutes } from './live-routes';
import type { ResidentRouteDeps } from './route-context';
import { registerVisitRoutes } from './visit-routes';

/**
 * The resident phone app's own routes (docs/resident-app.md): their home and their alarms (home-routes.ts), the
 * visitor link (visit-routes.ts), and their live stream (live-routes.ts), sharing one ResidentRouteDeps
 * (route-context.ts). Everything a resident reads goes through their own household id; another household's pass
 * answers 404 like a missing one.
 */
export function residentRoutes(deps: ResidentRouteDeps) {
  return async (app: FastifyInstance) => {
    registerHomeRoutes(app, deps);
    registerVisitRoutes(app, deps);
    registerLiveRoutes(app, deps);
  };
}
