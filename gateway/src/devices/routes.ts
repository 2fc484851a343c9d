import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { principalOf, requireRole } from '../api/auth';
import { ErrorReply } from '../contracts/api/auth';
import { DeviceAdminList, DeviceAdminView, DeviceCreateBody, DeviceListQuery, DevicePatchBody, DeviceSecretReply, RotateBody } from '../contracts/api/devices';
import { IdParam } from '../contracts/api/passes';
import type { DeviceService } from './service';

const errors = { 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 404: ErrorReply, 409: ErrorReply };
const security = [{ bearer: [] }];

/** The host name the browser used: the provisioning file names the gateway as the installer reached it. */
const hostOf = (req: FastifyRequest) => req.hostname.replace(/:\d+$/, '') || 'localhost';

/** Device provisioning (admins; property managers within their compound). */
export function registerDeviceRoutes(app: FastifyInstance, devices: DeviceService) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const staff = requireRole('admin', 'property_manager');

  r.get('/api/v1/devices', {
    preHandler: staff,
    schema: { tags: ['devices'], summary: 'Devices with status, last seen, firmware and clock drift', security, querystring: DeviceListQuery, response: { 200: DeviceAdminList, ...errors } },
  }, async (req) => ({ devices: await devices.list(principalOf(req), req.query) }));

  r.post('/api/v1/devices', {
    preHandler: staff,
    schema: {
      tags: ['devices'],
      summary: 'Provision a device: its secret, provisioning file and QR code are in this reply only',
      security,
      body: DeviceCreateBody,
      response: { 201: DeviceSecretReply, ...errors },
    },
  }, async (req, reply) => reply.code(201).send(await devices.create(principalOf(req), req.body, hostOf(req))));

  r.get('/api/v1/devices/:id', {
    preHandler: staff,
    schema: { tags: ['devices'], summary: 'One device (never its secret)', security, params: IdParam, response: { 200: DeviceAdminView, ...errors } },
  }, async (req) => devices.get(principalOf(req), req.params.id));

  r.patch('/api/v1/devices/:id', {
    preHandler: staff,
    schema: {
      tags: ['devices'],
      summary: 'Rename, place on the site plan (x, y), set criticality / supervision, disable (its session closes at once) or enable',
      security,
      params: IdParam,
      body: DevicePatchBody,
      response: { 200: DeviceAdminView, ...errors },
    },
  }, async (req) => devices.patch(principalOf(req), req.params.id, req.body));

  r.post('/api/v1/devices/:id/rotate', {
    preHandler: staff,
    schema: {
      tags: ['devices'],
      summary: 'A new secret (in this reply only); the old one stops at once (its session closes) or after graceMinutes',
      security,
      params: IdParam,
      body: RotateBody,
      response: { 200: DeviceSecretReply, ...errors },
    },
  }, async (req) => devices.rotate(principalOf(req), req.params.id, req.body, hostOf(req)));

  r.post('/api/v1/devices/:id/decommission', {
    preHandler: staff,
    schema: { tags: ['devices'], summary: 'Take a device out of service for good (kept for its history)', security, params: IdParam, response: { 200: DeviceAdminView, ...errors } },
  }, async (req) => devices.decommission(principalOf(req), req.params.id));
}
