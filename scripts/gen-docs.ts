// Regenerates docs/asyncapi.json, docs/protocol.md (from the topic catalogue) and .env.example (from the config schema).
// test/docs.test.ts fails when the checked-in files differ from what this produces.
import { writeFileSync } from 'node:fs';
import { renderProtocolDocs } from '../gateway/src/contracts/protocol-doc';
import { asyncApiDocument } from '../gateway/src/contracts/asyncapi';
import { renderEnvExample } from '../gateway/src/config/env-example';

writeFileSync('docs/asyncapi.json', `${JSON.stringify(asyncApiDocument(), null, 2)}\n`);
writeFileSync('docs/protocol.md', renderProtocolDocs());
process.stdout.write('wrote docs/asyncapi.json and docs/protocol.md\n');
writeFileSync('.env.example', renderEnvExample());
process.stdout.write('wrote .env.example\n');
