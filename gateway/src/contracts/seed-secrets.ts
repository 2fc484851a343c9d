import { z } from 'zod';
import { CredentialType, DeviceId, DeviceKind, PlaceKind, Role } from './common';

/**
 * The seed's secrets file (data/device-secrets.json, mode 0600): the only place plaintext device secrets, demo
 * passwords and resident credential values exist. The device simulator reads it to log in as the devices and to act
 * as residents, so it is a boundary and gets a schema.
 */
export const SeedSecrets = z
  .object({
    version: z.literal(1),
    communityId: z.string(),
    createdAt: z.iso.datetime({ offset: true }),
    /** Where the devices connect (a provisioning file from the admin pages carries it; the seed's file does not). */
    gateway: z
      .object({
        mqttUrl: z.string(),
        wsUrl: z.string().optional(),
        /** MQTT over TLS (mqtts://host:8883), when the gateway has a certificate (TLS_CERT_FILE): what a terminal should use. */
        mqttsUrl: z.string().optional(),
      })
      .strict()
      .optional(),
    devices: z.record(
      DeviceId,
      z.object({ secret: z.string().min(16), kind: DeviceKind, placeKind: PlaceKind, name: z.string() }).strict(),
    ),
    /** Password is null when the operator supplied it: theirs is not copied into a file. */
    users: z.record(z.string(), z.object({ role: Role, displayName: z.string(), password: z.string().nullable() }).strict()),
    /** Each value is what a terminal would send as AccessRequest.credential.value (card, PIN, face ref, plate). */
    credentials: z.array(
      z
        .object({
          id: z.string(),
          residentId: z.string(),
          householdLabel: z.string(),
          type: CredentialType,
          value: z.string().min(1),
        })
        .strict(),
    ),
  })
  .strict();
export type SeedSecrets = z.infer<typeof SeedSecrets>;
