import { describe, expect, it } from 'vitest';
import { startGateway } from './helpers/gateway';

describe('feature lifecycles', () => {
  it('each feature holds its bus listeners under its own name while running, and none is left after stop', async () => {
    const t = await startGateway();
    try {
      const owners = t.gw.bus.owners();
      expect([...owners.keys()].sort()).toEqual(['access', 'alerts', 'devices', 'resident', 'site']);
      for (const count of owners.values()) expect(count).toBeGreaterThan(0);
      // Every listener on the bus belongs to an owner.
      const listeners = t.gw.bus.eventNames().reduce((n, e) => n + t.gw.bus.listenerCount(e), 0);
      expect(listeners).toBe([...owners.values()].reduce((a, b) => a + b, 0));
    } finally {
      await t.close();
    }
    expect(t.gw.bus.owners().size).toBe(0);
    expect(t.gw.bus.eventNames()).toEqual([]);
  });
});
