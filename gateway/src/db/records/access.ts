import type { CredentialType, DeviceKind, PlaceKind } from '../../contracts';

/**
 * What access control knows about the community, as plain data: the records db/ returns. They live below db/ and
 * access/ (which keeps them in memory, access/directory.ts, so a door decision needs no database round trip), so
 * the database layer never imports a feature.
 */
export interface DoorRecord {
  id: string;
  kind: DeviceKind;
  name: string;
  placeKind: PlaceKind;
  buildingId: string | null;
  unitId: string | null;
  enabled: boolean;
}

export interface HouseholdRecord {
  id: string;
  unitId: string;
  buildingId: string;
  label: string;
}

export interface ResidentRecord {
  id: string;
  householdId: string;
  name: string;
  /** active, or anything else (moved out, suspended): then no credential of theirs opens a door. */
  status: string;
  faceConsent: boolean;
  faceConsentAt: Date | null;
}

export type CredentialStatus = 'active' | 'suspended';

export interface CredentialRecord {
  id: string;
  residentId: string;
  type: CredentialType;
  /** card, pin: HMAC lookup hash. */
  lookupHash: string | null;
  faceTemplateRef: string | null;
  plate: string | null;
  hint: string | null;
  status: CredentialStatus;
  createdAt: Date;
}

export interface BlacklistRecord {
  id: string;
  type: CredentialType;
  /** Every type but plate: the lookup hash of the value. */
  lookupHash: string | null;
  plate: string | null;
  reason: string;
  createdBy: string;
  createdAt: Date;
}

export interface PassRecord {
  id: string;
  householdId: string;
  createdBy: string;
  visitorName: string;
  phoneMasked: string | null;
  plate: string | null;
  validFrom: Date;
  validUntil: Date;
  allowedDoors: string[];
  maxEntries: number;
  entriesUsed: number;
  codeHash: string;
  status: 'active' | 'revoked';
  createdAt: Date;
  revokedAt: Date | null;
}

export interface DirectorySnapshot {
  doors: DoorRecord[];
  households: HouseholdRecord[];
  residents: ResidentRecord[];
  credentials: CredentialRecord[];
  blacklist: BlacklistRecord[];
  passes: PassRecord[];
}
