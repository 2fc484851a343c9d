import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The HMAC key behind every Credential.lookupHash (cards, PINs, pass codes). Shared by the seed and the gateway:
 * if the two ever used different keys, no card in the database would open a door. Losing the key file has the same
 * effect, so it lives next to the database and is backed up with it.
 */
export interface CredentialKey {
  key: string;
  /** env: CREDENTIAL_KEY; file: read from the data dir; created: generated now (worth a log line). */
  source: 'env' | 'file' | 'created';
  /** The key file, or null when the key came from the environment. */
  path: string | null;
}

export const CREDENTIAL_KEY_FILE = 'credential.key';
/** Same floor as the gateway config's CREDENTIAL_KEY. */
const MIN_LENGTH = 32;

export function loadOrCreateCredentialKey(dataDir: string, fromEnv?: string): CredentialKey {
  if (fromEnv !== undefined && fromEnv !== '') {
    if (fromEnv.length < MIN_LENGTH) throw new Error(`CREDENTIAL_KEY must be at least ${MIN_LENGTH} characters`);
    return { key: fromEnv, source: 'env', path: null };
  }
  const path = join(dataDir, CREDENTIAL_KEY_FILE);
  const existing = readKey(path);
  if (existing !== null) return { key: existing, source: 'file', path };

  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(48).toString('base64url');
  // Write a private temp file, then link it into place: the key file appears complete or not at all, and if the
  // gateway and the seed race, exactly one key wins and both use it.
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${key}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  try {
    linkSync(tmp, path);
  } catch (err) {
    if (!isExists(err)) throw err;
    const winner = readKey(path);
    if (winner === null) throw new Error(`${path} appeared but is empty`, { cause: err });
    return { key: winner, source: 'file', path };
  } finally {
    unlinkSync(tmp);
  }
  return { key, source: 'created', path };
}

function readKey(path: string): string | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
  const key = text.trim();
  if (key.length < MIN_LENGTH) throw new Error(`${path} holds no usable key (fewer than ${MIN_LENGTH} characters)`);
  return key;
}

const errCode = (err: unknown): unknown => (err instanceof Error && 'code' in err ? err.code : undefined);
const isNotFound = (err: unknown): boolean => errCode(err) === 'ENOENT';
const isExists = (err: unknown): boolean => errCode(err) === 'EEXIST';
