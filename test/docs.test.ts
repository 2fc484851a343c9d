import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { asyncApiDocument } from '../gateway/src/contracts/asyncapi';
import { renderProtocolDocs } from '../gateway/src/contracts/protocol-doc';

describe('checked-in protocol documents', () => {
  it('docs/asyncapi.json matches the catalogue (run `npm run docs` after changing contracts)', () => {
    expect(JSON.parse(readFileSync('docs/asyncapi.json', 'utf8'))).toEqual(JSON.parse(JSON.stringify(asyncApiDocument())));
  });
  it('docs/protocol.md matches the catalogue', () => {
    expect(readFileSync('docs/protocol.md', 'utf8')).toBe(renderProtocolDocs());
  });
});
