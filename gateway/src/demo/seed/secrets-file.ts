import { readFileSync } from 'node:fs';
import { SeedSecrets } from '../../contracts/seed-secrets';

export function readSeedSecrets(path: string): SeedSecrets {
  return SeedSecrets.parse(JSON.parse(readFileSync(path, 'utf8')));
}
