import { describe, expect, it } from 'vitest';
import { createQos0Gate } from './rate-limit';

describe('createQos0Gate', () => {
  it('passes a burst, then drops, answering the first drop only', () => {
    const gate = createQos0Gate(1, 3);
    const t = 1_000_000;
    expect([gate('d1', t), gate('d1', t), gate('d1', t)]).toEqual(['pass', 'pass', 'pass']);
    expect(gate('d1', t)).toBe('drop_and_answer');
    expect(gate('d1', t)).toBe('drop');
    // Another device has its own bucket and its own answer.
    expect(gate('d2', t)).toBe('pass');
  });

  it('refills the bucket at the rate of the device clock given to it', () => {
    const gate = createQos0Gate(2, 1);
    const t = 5_000;
    expect(gate('d', t)).toBe('pass');
    expect(gate('d', t)).not.toBe('pass');
    expect(gate('d', t + 500)).toBe('pass');
  });
});
