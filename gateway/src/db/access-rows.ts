/** stored, or a retransmission of a decision already recorded. */
export type AccessWriteResult = 'stored' | 'duplicate';

/** One door decision as it is stored. Times are ISO strings in the stored format (see ingest's isoStored). */
export interface AccessEventRow {
  id: string;
  deviceId: string;
  requestId: string;
  at: string;
  receivedAt: string;
  direction: string;
  credentialType: string;
  decision: 'grant' | 'deny';
  reason: string;
  residentId: string | null;
  passId: string | null;
  householdId: string | null;
  offline: boolean;
}

/** A decision to store; `countEntry` also uses one of the visitor pass's entries, in the same transaction. */
export interface AccessWrite {
  row: AccessEventRow;
  countEntry: boolean;
}
