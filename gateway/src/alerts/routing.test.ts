import { describe, expect, it } from 'vitest';
import { EscalationRouting } from './routing';

const chain = [{ name: 'guard_station' }, { name: 'grid_worker', url: 'http://chain/1' }, { name: 'community_office', url: 'http://chain/2' }];

describe('EscalationRouting', () => {
  const routing = new EscalationRouting(chain);
  routing.load({
    householdGrids: [{ householdId: 'hh-1', gridId: 'g1' }],
    contacts: [
      { id: 'c1', name: '张敏', level: 1, gridId: 'g1', webhookUrl: 'http://grid/1' },
      { id: 'c2', name: '李强', level: 1, gridId: 'g1', webhookUrl: null },
      { id: 'c3', name: '社区', level: 2, gridId: null, webhookUrl: 'http://office' },
    ],
  });

  it("routes a grid household's level to all the grid's workers", () => {
    expect(routing.targets('hh-1', 1)).toEqual([
      { name: '张敏', url: 'http://grid/1' },
      { name: '李强', url: undefined },
    ]);
  });

  it('uses the installation-wide stored contact for a level before the environment', () => {
    expect(routing.targets('hh-1', 2)).toEqual([{ name: '社区', url: 'http://office' }]);
    expect(routing.targets(null, 2)).toEqual([{ name: '社区', url: 'http://office' }]);
  });

  it('falls back to the chain for households without a grid, and never reroutes level 0', () => {
    expect(routing.targets('hh-2', 1)).toEqual([chain[1]]);
    expect(routing.targets(null, 1)).toEqual([chain[1]]);
    expect(routing.targets('hh-1', 0)).toEqual([chain[0]]);
    expect(routing.targets('hh-1', 5)).toEqual([]);
  });

  it('forgets what a reload no longer holds', () => {
    const r = new EscalationRouting(chain);
    r.load({ householdGrids: [{ householdId: 'hh-1', gridId: 'g1' }], contacts: [{ id: 'c1', name: '张敏', level: 1, gridId: 'g1', webhookUrl: 'http://grid/1' }] });
    r.load({ householdGrids: [], contacts: [] });
    expect(r.targets('hh-1', 1)).toEqual([chain[1]]);
  });
});
