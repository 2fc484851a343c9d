import { describe, expect, it } from 'vitest';
import { type DoorReport, type DoorWatch, type MonitorInput, closedDoor, judgeStoredOpening, step } from './monitor';

const S = { grantWindowMs: 20_000, heldOpenMs: 60_000, denialCount: 3, denialWindowMs: 60_000 };

function run(inputs: MonitorInput[], start: DoorWatch = closedDoor()) {
  let w = start;
  const incidents: { type: string; detail: unknown }[] = [];
  for (const i of inputs) {
    const r = step(w, i, S);
    w = r.watch;
    incidents.push(...r.incidents);
  }
  return { watch: w, incidents };
}

const open = (at: number, cause: 'grant' | 'remote' | 'exit_button' | 'key' | 'unknown' = 'grant', late = false): MonitorInput => ({ type: 'door', state: 'open', cause, at, late });
const close = (at: number): MonitorInput => ({ type: 'door', state: 'closed', cause: 'grant', at, late: false });

describe('door monitor', () => {
  it('accepts an opening shortly after a grant', () => {
    expect(run([{ type: 'grant', at: 0 }, open(3_000), close(7_000)]).incidents).toEqual([]);
  });

  it('raises forced_entry when the door opens without a grant', () => {
    expect(run([open(1_000, 'unknown')]).incidents).toEqual([{ type: 'forced_entry', detail: { cause: 'unknown', late: false } }]);
  });

  it('raises forced_entry when the grant is too old', () => {
    expect(run([{ type: 'grant', at: 0 }, open(25_000)]).incidents.map((i) => i.type)).toEqual(['forced_entry']);
  });

  it('lets one grant cover one opening only', () => {
    const r = run([{ type: 'grant', at: 0 }, open(1_000), close(4_000), open(6_000, 'unknown')]);
    expect(r.incidents.map((i) => i.type)).toEqual(['forced_entry']);
  });

  it('treats a guard remote-open like a grant', () => {
    expect(run([{ type: 'remote', at: 0 }, open(2_000, 'remote')]).incidents).toEqual([]);
  });

  it('does not raise forced_entry for the exit button or a key', () => {
    expect(run([open(0, 'exit_button'), close(3_000), open(5_000, 'key')]).incidents).toEqual([]);
  });

  it('trusts a late-reported grant (decided offline) but not a late unexplained opening', () => {
    expect(run([open(0, 'grant', true)]).incidents).toEqual([]);
    expect(run([open(0, 'unknown', true)]).incidents.map((i) => i.type)).toEqual(['forced_entry']);
  });

  it('raises held_open once when the door stays open past the limit, and again for a later opening', () => {
    const r = run([{ type: 'grant', at: 0 }, open(1_000), { type: 'tick', at: 30_000 }, { type: 'tick', at: 61_000 }, { type: 'tick', at: 62_000 }]);
    expect(r.incidents).toEqual([{ type: 'held_open', detail: { openSec: 60, limitSec: 60 } }]);
    const again = run([close(70_000), { type: 'grant', at: 80_000 }, open(81_000), { type: 'tick', at: 142_000 }], r.watch);
    expect(again.incidents.map((i) => i.type)).toEqual(['held_open']);
  });

  it('does not raise held_open for a door closed in time', () => {
    expect(run([{ type: 'grant', at: 0 }, open(1_000), close(5_000), { type: 'tick', at: 90_000 }]).incidents).toEqual([]);
  });

  it('raises repeated_denials at the threshold, once per window', () => {
    const denials = [0, 10_000, 20_000, 30_000, 40_000].map((at): MonitorInput => ({ type: 'deny', at }));
    const r = run(denials);
    expect(r.incidents).toEqual([{ type: 'repeated_denials', detail: { count: 3, windowSec: 60 } }]);
    expect(run([{ type: 'deny', at: 90_000 }, { type: 'deny', at: 95_000 }], r.watch).incidents.map((i) => i.type)).toEqual(['repeated_denials']);
  });

  it('forgets denials older than the window', () => {
    expect(run([{ type: 'deny', at: 0 }, { type: 'deny', at: 70_000 }, { type: 'deny', at: 140_000 }]).incidents).toEqual([]);
  });
});

describe('judging a stored opening again (after a crash)', () => {
  const report = (state: 'open' | 'closed', at: number, cause: DoorReport['cause'] = 'grant', late = false): DoorReport => ({ state, cause, at, late });
  const judge = (h: { before?: DoorReport; reports?: DoorReport[]; grants?: number[] }, opening: DoorReport) =>
    judgeStoredOpening({ before: h.before ?? null, reports: h.reports ?? [], grants: h.grants ?? [] }, opening, S);

  it('calls an opening with no stored grant in the window forced', () => {
    expect(judge({ before: report('closed', 0) }, report('open', 100_000, 'unknown'))).toEqual({ type: 'forced_entry', detail: { cause: 'unknown', late: false } });
  });

  it('accepts an opening after a stored grant or remote open, and one the door explained itself', () => {
    expect(judge({ grants: [95_000] }, report('open', 100_000))).toBeNull();
    expect(judge({}, report('open', 100_000, 'exit_button'))).toBeNull();
  });

  it('takes a repeated "open" as the same opening, from the state before the window or a report inside it', () => {
    expect(judge({ before: report('open', 0, 'unknown') }, report('open', 100_000, 'unknown'))).toBeNull();
    expect(judge({ reports: [report('open', 90_000, 'unknown')] }, report('open', 100_000, 'unknown'))).toBeNull();
  });

  it('lets one grant cover one opening only, as the live monitor does', () => {
    const reports = [report('open', 91_000), report('closed', 93_000)];
    expect(judge({ grants: [90_000], reports }, report('open', 100_000, 'unknown'))?.type).toBe('forced_entry');
  });
});
