import { z } from 'zod';
import { DeviceAdminList, DeviceAdminView, type DeviceCreateBody, type DevicePatchBody, DeviceSecretReply } from '@linli/gateway/contracts/api/devices';
import { SetupChecklist } from '@linli/gateway/contracts/api/setup';
import { type PasswordChangeBody, type UserCreateBody, UserList, type UserPatchBody, UserView, UserWithPassword } from '@linli/gateway/contracts/api/users';
import { call } from './api';

const id = (s: string) => encodeURIComponent(s);

/** The administration routes (users, devices, setup, own password), every reply parsed with the gateway's contract. */
export const adminApi = {
  setup: () => call(SetupChecklist, 'GET', '/api/v1/setup'),
  users: () => call(UserList, 'GET', '/api/v1/users'),
  createUser: (body: UserCreateBody) => call(UserWithPassword, 'POST', '/api/v1/users', body),
  patchUser: (userId: string, body: UserPatchBody) => call(UserView, 'PATCH', `/api/v1/users/${id(userId)}`, body),
  resetPassword: (userId: string) => call(UserWithPassword, 'POST', `/api/v1/users/${id(userId)}/reset-password`),
  changePassword: (body: PasswordChangeBody) => call(z.null(), 'POST', '/api/v1/auth/password', body),
  devices: () => call(DeviceAdminList, 'GET', '/api/v1/devices'),
  createDevice: (body: DeviceCreateBody) => call(DeviceSecretReply, 'POST', '/api/v1/devices', body),
  patchDevice: (deviceId: string, body: DevicePatchBody) => call(DeviceAdminView, 'PATCH', `/api/v1/devices/${id(deviceId)}`, body),
  rotate: (deviceId: string, graceMinutes = 0) => call(DeviceSecretReply, 'POST', `/api/v1/devices/${id(deviceId)}/rotate`, { graceMinutes }),
  decommission: (deviceId: string) => call(DeviceAdminView, 'POST', `/api/v1/devices/${id(deviceId)}/decommission`),
};

/** Field → message from a contract's issues (zod) or the gateway's 400 details (`{ path }`), for errors shown in place. */
export function fieldErrors(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const i of issues) {
    const key = String(i.path[0] ?? '_');
    out[key] ??= i.message;
  }
  return out;
}
