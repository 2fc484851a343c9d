import { topicFor } from '@linli/gateway/contracts';
import { describe, expect, it } from 'vitest';
import { runCommunity } from '../community';
import type { Recorder, SentRecord } from '../devices';
import { silentLog } from '../log';
import { populationOf } from '../population';
import { fixtureSecrets } from '../testing/fixture';
import { type World, createWorld } from '../world';
import { findScenario, resolveParams, runScenario, scenarios } from './index';

const population = populationOf(fixtureSecrets());
const EVENING = Date.parse('2025-03-03T18:30:00+08:00');

/** (sim time, topic, payload without ts): what must repeat exactly for a seed. */
type Step = [number, string, string];
function steps(records: readonly SentRecord[]): Step[] {
  return records.map((r) => {
    let body: unknown = null;
    try {
      body = JSON.parse(r.payload);
    } catch {
      // Raw bytes from a fault scenario are compared as they are.
    }
    if (typeof body !== 'object' || body === null) return [r.atMs, r.topic, r.payload];
    return [r.atMs, r.topic, JSON.stringify(Object.fromEntries(Object.entries(body).filter(([k]) => k !== 'ts')))];
  });
}

function world(seed: number, startMs = EVENING): World & { recorder: Recorder } {
  const w = createWorld({ population, seed, speed: 1, startMs, dryRun: true, bootNonce: 'fixed', replyTimeoutMs: 2_000, log: silentLog });
  if (!w.recorder) throw new Error('a dry run has a recorder');
  return { ...w, recorder: w.recorder };
}

/** Plays the gateway's part for access requests: grants everything, so the door steps run too. */
function grantAll(recorder: Recorder): void {
  recorder.onRecord = (r, rec) => {
    if (!r.topic.endsWith('/access/request')) return;
    const body: unknown = JSON.parse(r.payload);
    const requestId = typeof body === 'object' && body !== null && 'requestId' in body ? String(body.requestId) : '';
    rec.deliver(r.clientId, topicFor('accessReply', r.clientId), JSON.stringify({ requestId, decision: 'grant', reason: 'visitor_pass', ts: '2025-03-03T18:30:00+08:00' }));
  };
}

const PARAMS: Record<string, Record<string, string>> = {
  'visitor-with-pass': { pass: '837261' },
  'gateway-restart-rush': { rate: '5', duration: '20', settle: '1' },
  'malformed-flood': { count: '12' },
};

async function play(name: string, seed: number, grant: boolean) {
  const scenario = findScenario(name);
  if (!scenario) throw new Error(`no scenario ${name}`);
  const params = resolveParams(scenario, PARAMS[name] ?? {});
  if (!params.ok) throw new Error(params.message);
  const w = world(seed);
  if (grant) grantAll(w.recorder);
  const ctx = { devices: w.roster, clock: w.clock, random: w.random.fork(`scenario:${name}`), log: silentLog, population, params: params.params };
  const result = await w.drive(runScenario(scenario, ctx, 1_000));
  await w.close();
  return { result, steps: steps(w.recorder.records) };
}

describe('scenarios', () => {
  it.each(scenarios.map((s) => s.name))('%s replays the same steps for the same seed', async (name) => {
    const a = await play(name, 7, true);
    const b = await play(name, 7, true);
    expect(a.steps.length).toBeGreaterThan(1);
    expect(b.steps).toEqual(a.steps);
    expect(b.result).toEqual(a.result);
  });

  it('visitor-with-pass shows the pass at the gate, then at a unit door, each door opening and closing on a grant', async () => {
    const { steps: s, result } = await play('visitor-with-pass', 1, true);
    const channels = s.map(([, topic]) => topic.split('/').slice(3).join('/')).filter((c) => c !== 'status');
    expect(channels).toEqual(['access/request', 'door/state', 'door/state', 'access/request', 'door/state', 'door/state']);
    expect(s.find(([, t]) => t.endsWith('access/request'))?.[2]).toContain('"credential":{"type":"qr","value":"837261"}');
    expect(result).toMatchObject({ gate: 'grant:visitor_pass', door: 'grant:visitor_pass' });
  });

  it('visitor-with-pass stops at the gate when nobody answers (a terminal never synced can only ask)', async () => {
    const { result } = await play('visitor-with-pass', 1, false);
    expect(result).toMatchObject({ gate: 'timeout', door: null });
  });

  it('forced-entry-night opens a door with cause unknown and no access request', async () => {
    const { steps: s } = await play('forced-entry-night', 2, false);
    expect(s.some(([, t]) => t.endsWith('access/request'))).toBe(false);
    expect(s.filter(([, t]) => t.endsWith('door/state')).map(([, , p]) => JSON.parse(p))).toEqual([
      expect.objectContaining({ state: 'open', cause: 'unknown' }),
      expect.objectContaining({ state: 'closed', cause: 'unknown' }),
    ]);
  });

  it('elderly-alarm presses an indoor alarm of a single-resident household', async () => {
    const { result } = await play('elderly-alarm', 3, false);
    expect(result).toMatchObject({ singleResident: true, presses: 2 });
    expect(String(result.deviceId)).toMatch(/^alarm-in-\d-\d-101$/);
  });

  it('different seeds choose differently', async () => {
    const picks = new Set<string>();
    for (const seed of [1, 2, 3, 4, 5, 6]) picks.add(String((await play('forced-entry-night', seed, false)).result.doorId));
    expect(picks.size).toBeGreaterThan(1);
  });

  it('refuses a missing required parameter and an unknown one', () => {
    const visitor = findScenario('visitor-with-pass');
    if (!visitor) throw new Error('missing');
    expect(resolveParams(visitor, {})).toMatchObject({ ok: false });
    expect(resolveParams(visitor, { pass: '1', hold: '3' })).toMatchObject({ ok: false, message: expect.stringContaining('--hold') });
  });
});

describe('community', () => {
  async function day(seed: number) {
    const w = world(seed, Date.parse('2025-03-03T00:00:00+08:00'));
    const report = await w.drive(
      runCommunity({ population, roster: w.roster, clock: w.clock, random: w.random.fork('community'), durationMs: 86_400_000, heartbeats: false, connectPauseMs: 0 }),
    );
    await w.close();
    return { report, steps: steps(w.recorder.records) };
  }

  it('is a function of the seed: same seed, same day; another seed, another day', async () => {
    const a = await day(11);
    const b = await day(11);
    const c = await day(12);
    expect(a.steps.length).toBeGreaterThan(100);
    expect(b.steps).toEqual(a.steps);
    expect(c.steps).not.toEqual(a.steps);
  });

  it('has its entry peaks in the morning and the evening, and lamps on after dusk', async () => {
    const { report, steps: s } = await day(5);
    const byHour = new Array<number>(24).fill(0);
    for (const [at, topic] of s) {
      const hour = new Date(at + 8 * 3_600_000).getUTCHours();
      if (topic.endsWith('access/request')) byHour[hour] = (byHour[hour] ?? 0) + 1;
    }
    const around = (from: number, to: number): number => byHour.slice(from, to).reduce((a, b) => a + b, 0);
    expect(around(7, 9)).toBeGreaterThan(3 * around(10, 12));
    expect(around(17, 20)).toBeGreaterThan(3 * around(10, 12));
    expect(report.counts.lampsOn).toBe(4);
    expect(report.counts.lampsOff).toBe(4);
    const noon = Date.parse('2025-03-03T12:00:00+08:00');
    const lampOn = s.find(([at, t, p]) => at > noon && t.endsWith('light/state') && p.includes('"on":true'));
    expect(new Date((lampOn?.[0] ?? 0) + 8 * 3_600_000).getUTCHours()).toBeGreaterThanOrEqual(17);
  });
});
