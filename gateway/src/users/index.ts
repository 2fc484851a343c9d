import type { FeatureRoutes } from '../api/routes';
import type { FastifyInstance } from 'fastify';
import type { PrismaClient } from '../db/client';
import { userRepo } from '../db/users';
import type { Logger } from '../log';
import { registerUserRoutes } from './routes';
import { createUserService } from './service';

/** Users and roles: /api/v1/users… (admins) and /api/v1/auth/password (everyone). */
export function userRoutes(prisma: PrismaClient, log: Logger): FeatureRoutes {
  const service = createUserService({ repo: userRepo(prisma), log: log.child({ module: 'users' }) });
  return async (app: FastifyInstance) => registerUserRoutes(app, service);
}
