// Regenerates docs/asyncapi.json and docs/protocol.md from the topic catalogue (`npm run docs`).
// test/docs.test.ts fails when the checked-in files differ from what this produces.
import { writeFileSync } from 'node:fs';
import { renderProtocolDocs } from '../gateway/src/contracts/protocol-doc';
import { asyncApiDocument } from '../gateway/src/contracts/asyncapi';

writeFileSync('docs/asyncapi.json', `${JSON.stringify(asyncApiDocument(), null, 2)}\n`);
writeFileSync('docs/protocol.md', renderProtocolDocs());
process.stdout.write('wrote docs/asyncapi.json and docs/protocol.md\n');
