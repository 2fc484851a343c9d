import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { asyncApiDocument } from './asyncapi';
import { examples } from './examples';
import { type ChannelName, catalogue, parseTopic, topicFor } from './topics';

const names = Object.keys(catalogue) as ChannelName[];

describe('topic catalogue', () => {
  it('gives every channel a distinct topic that parses back to it', () => {
    for (const n of names) expect(parseTopic(topicFor(n, 'dev-1'))).toEqual({ ok: true, deviceId: 'dev-1', name: n });
    expect(new Set(names.map((n) => catalogue[n].channel)).size).toBe(names.length);
  });
  it('puts ts in every up payload and eventId in all but presence (schemaOf relies on it)', () => {
    for (const n of names.filter((x) => catalogue[x].direction === 'up')) {
      const shape = z.toJSONSchema(catalogue[n].payload);
      const required = 'required' in shape && Array.isArray(shape.required) ? shape.required : [];
      expect(required, n).toContain('ts');
      if (n !== 'presence') expect(required, n).toContain('eventId');
    }
  });
  it('has a valid example message for every channel', () => {
    for (const n of names) expect(catalogue[n].payload.safeParse(examples[n]).success, n).toBe(true);
  });
  it('documents every channel in the AsyncAPI document', () => {
    const doc = asyncApiDocument();
    expect(doc.asyncapi).toBe('3.0.0');
    expect(Object.keys(doc.channels as object).sort()).toEqual([...names].sort());
  });
});
