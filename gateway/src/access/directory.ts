import type { CredentialType } from '../contracts';
import type {
  BlacklistRecord,
  CredentialRecord,
  DirectorySnapshot,
  DoorRecord,
  HouseholdRecord,
  PassRecord,
  ResidentRecord,
} from '../db/records/access';

/** The key a presented credential is found by: the lookup hash, the face template reference, or the plate. */
export const credentialKey = (type: CredentialType, match: string) => `${type}:${match}`;

/** What a credential record is matched on (null when it cannot be matched: a hash is missing). */
export function matchOf(c: Pick<CredentialRecord, 'type' | 'lookupHash' | 'faceTemplateRef' | 'plate'>): string | null {
  switch (c.type) {
    case 'face':
      return c.faceTemplateRef;
    case 'plate':
      return c.plate;
    case 'card':
    case 'pin':
    case 'qr':
      return c.lookupHash;
  }
}

const blacklistKeyOf = (b: Pick<BlacklistRecord, 'type' | 'lookupHash' | 'plate'>) =>
  b.type === 'plate' ? (b.plate === null ? null : credentialKey('plate', b.plate)) : b.lookupHash === null ? null : credentialKey(b.type, b.lookupHash);

/**
 * The in-memory indexes behind every door decision: loaded once at start from the database and kept current by the
 * API's writes, so deciding needs no I/O. Holds hashes, template references and plates only — never a secret.
 */
export class Directory {
  readonly doors = new Map<string, DoorRecord>();
  readonly households = new Map<string, HouseholdRecord>();
  readonly residents = new Map<string, ResidentRecord>();
  readonly credentials = new Map<string, CredentialRecord>();
  readonly passes = new Map<string, PassRecord>();
  private readonly byKey = new Map<string, string>();
  private readonly credentialsByResident = new Map<string, Set<string>>();
  private readonly residentsByBuilding = new Map<string, Set<string>>();
  private readonly blacklisted = new Map<string, BlacklistRecord>();
  private readonly passByCode = new Map<string, string>();
  private readonly passesByPlate = new Map<string, Set<string>>();
  /** Changes made while a reload's snapshot is being read (see beginReload); kept while any reload is under way. */
  private journal: Array<() => void> = [];
  private reloads = 0;
  /** Set while a load applies a snapshot and replays: those puts are not new changes. */
  private applying = false;

  /**
   * A reload reads its snapshot asynchronously; a credential enrolled or a pass created meanwhile could be older in
   * the snapshot than in memory. From here every change is also recorded; `load` (or `applyResident`) with the
   * returned mark replays what was recorded since, on top of the snapshot. Overlapping reloads each replay their own
   * part. Every beginReload is ended by the load that uses its mark, or by abortReload.
   */
  beginReload(): number {
    this.reloads++;
    return this.journal.length;
  }

  abortReload(): void {
    this.reloads = Math.max(0, this.reloads - 1);
    if (this.reloads === 0) this.journal = [];
  }

  private record(op: () => void): void {
    if (this.reloads > 0 && !this.applying) this.journal.push(op);
  }

  private applyThenReplay(since: number | undefined, apply: () => void): void {
    const replay = since === undefined ? [] : this.journal.slice(since);
    this.applying = true;
    try {
      apply();
      for (const op of replay) op();
    } finally {
      this.applying = false;
      if (since !== undefined) this.abortReload();
    }
  }

  /**
   * Replaces the indexes with a snapshot, then replays what changed since `since` (beginReload's mark).
   * `keepPasses`: visitor passes stay as they are in memory (their used entries are counted here before the
   * database has them) — the administration's reloads change places and people, never passes.
   */
  load(s: DirectorySnapshot, opts: { keepPasses?: boolean; since?: number } = {}): void {
    this.applyThenReplay(opts.since, () => {
      for (const m of [this.doors, this.households, this.residents, this.credentials, this.byKey]) m.clear();
      for (const m of [this.credentialsByResident, this.residentsByBuilding, this.blacklisted]) m.clear();
      if (!opts.keepPasses) for (const m of [this.passes, this.passByCode, this.passesByPlate]) m.clear();
      for (const d of s.doors) this.doors.set(d.id, d);
      for (const h of s.households) this.households.set(h.id, h);
      for (const r of s.residents) this.putResident(r);
      for (const c of s.credentials) this.putCredential(c);
      for (const b of s.blacklist) this.putBlacklist(b);
      if (!opts.keepPasses) for (const p of s.passes) this.putPass(p);
    });
  }

  /** One resident as the database has them now (null: deleted), with their credentials; cheaper than a reload. */
  applyResident(id: string, now: { resident: ResidentRecord; credentials: CredentialRecord[] } | null, since?: number): void {
    this.applyThenReplay(since, () => {
      for (const c of this.credentialsOf(id)) this.removeCredential(c.id);
      const old = this.residents.get(id);
      if (old) this.residentsByBuilding.get(this.households.get(old.householdId)?.buildingId ?? '')?.delete(id);
      this.residents.delete(id);
      if (!now) return;
      this.putResident(now.resident);
      for (const c of now.credentials) this.putCredential(c);
    });
  }

  // ── residents and their credentials ────────────────────────────────────────────────────────────────────────
  putResident(r: ResidentRecord): void {
    this.record(() => this.putResident(r));
    const old = this.residents.get(r.id);
    if (old && old.householdId !== r.householdId) this.residentsByBuilding.get(this.households.get(old.householdId)?.buildingId ?? '')?.delete(r.id);
    this.residents.set(r.id, r);
    const building = this.households.get(r.householdId)?.buildingId;
    if (building !== undefined) setOf(this.residentsByBuilding, building).add(r.id);
  }

  putCredential(c: CredentialRecord): void {
    this.record(() => this.putCredential(c));
    this.dropCredential(c.id);
    this.credentials.set(c.id, c);
    const match = matchOf(c);
    if (match !== null) this.byKey.set(credentialKey(c.type, match), c.id);
    setOf(this.credentialsByResident, c.residentId).add(c.id);
  }

  removeCredential(id: string): void {
    this.record(() => this.removeCredential(id));
    this.dropCredential(id);
  }

  private dropCredential(id: string): void {
    const old = this.credentials.get(id);
    if (!old) return;
    this.credentials.delete(id);
    const match = matchOf(old);
    if (match !== null && this.byKey.get(credentialKey(old.type, match)) === id) this.byKey.delete(credentialKey(old.type, match));
    this.credentialsByResident.get(old.residentId)?.delete(id);
  }

  findCredential(type: CredentialType, match: string): CredentialRecord | undefined {
    const id = this.byKey.get(credentialKey(type, match));
    return id === undefined ? undefined : this.credentials.get(id);
  }

  credentialsOf(residentId: string): CredentialRecord[] {
    return [...(this.credentialsByResident.get(residentId) ?? [])].flatMap((id) => this.credentials.get(id) ?? []);
  }

  residentsInBuilding(buildingId: string): ResidentRecord[] {
    return [...(this.residentsByBuilding.get(buildingId) ?? [])].flatMap((id) => this.residents.get(id) ?? []);
  }

  // ── blacklist ───────────────────────────────────────────────────────────────────────────────────────────────
  putBlacklist(b: BlacklistRecord): void {
    this.record(() => this.putBlacklist(b));
    const key = blacklistKeyOf(b);
    if (key !== null) this.blacklisted.set(key, b);
  }

  removeBlacklist(b: Pick<BlacklistRecord, 'type' | 'lookupHash' | 'plate'>): void {
    this.record(() => this.removeBlacklist(b));
    const key = blacklistKeyOf(b);
    if (key !== null) this.blacklisted.delete(key);
  }

  isBlacklisted(type: CredentialType, match: string): boolean {
    return this.blacklisted.has(credentialKey(type, match));
  }

  // ── visitor passes ──────────────────────────────────────────────────────────────────────────────────────────
  putPass(p: PassRecord): void {
    this.record(() => this.putPass(p));
    this.dropPass(p.id);
    this.passes.set(p.id, p);
    this.passByCode.set(p.codeHash, p.id);
    if (p.plate !== null) setOf(this.passesByPlate, p.plate).add(p.id);
  }

  removePass(id: string): void {
    this.record(() => this.removePass(id));
    this.dropPass(id);
  }

  private dropPass(id: string): void {
    const old = this.passes.get(id);
    if (!old) return;
    this.passes.delete(id);
    if (this.passByCode.get(old.codeHash) === id) this.passByCode.delete(old.codeHash);
    if (old.plate !== null) this.passesByPlate.get(old.plate)?.delete(id);
  }

  passByCodeHash(codeHash: string): PassRecord | undefined {
    const id = this.passByCode.get(codeHash);
    return id === undefined ? undefined : this.passes.get(id);
  }

  passesForPlate(plate: string): PassRecord[] {
    return [...(this.passesByPlate.get(plate) ?? [])].flatMap((id) => this.passes.get(id) ?? []);
  }

  /**
   * Passes that ended more than `graceMs` ago are dropped from memory (the database keeps them). Until then a
   * revoked or expired pass is still recognised, so the door says why it refuses rather than "unknown".
   */
  prunePasses(nowMs: number, graceMs: number): string[] {
    const gone: string[] = [];
    for (const p of this.passes.values()) {
      if (p.validUntil.getTime() + graceMs < nowMs) gone.push(p.id);
    }
    for (const id of gone) this.removePass(id);
    return gone;
  }

  // ── doors ───────────────────────────────────────────────────────────────────────────────────────────────────
  accessDoors(): DoorRecord[] {
    return [...this.doors.values()];
  }

  /** The doors a resident of this household passes on the way home: main gates, then their unit's own door(s). */
  routeHome(householdId: string): { mainGates: DoorRecord[]; vehicleGates: DoorRecord[]; unitDoors: DoorRecord[] } {
    const h = this.households.get(householdId);
    const all = this.accessDoors().filter((d) => d.enabled);
    return {
      mainGates: all.filter((d) => d.placeKind === 'main_gate'),
      vehicleGates: all.filter((d) => d.placeKind === 'vehicle_gate'),
      unitDoors: h ? all.filter((d) => d.placeKind === 'unit_door' && d.unitId === h.unitId) : [],
    };
  }
}

function setOf<K, V>(m: Map<K, Set<V>>, k: K): Set<V> {
  let s = m.get(k);
  if (!s) {
    s = new Set();
    m.set(k, s);
  }
  return s;
}
