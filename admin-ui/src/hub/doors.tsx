// A compound's doors at the duty desk (docs/scale-out.md "Commands"): the doors as the compound's gateway lists them,
// 远程开门 with a mandatory reason, the outcome in plain words — or, when the gateway does not answer, exactly what
// that means — and the record of every remote command sent to the compound.
import { useEffect, useState } from 'preact/hooks';
import type { HubCommand, HubDoorList } from '@linli/gateway/contracts/api/hub-commands';
import type { CellDoor, DoorOpenOutcome } from '@linli/gateway/contracts/commands';
import { ApiError, api } from './api';
import type { HubKey, HubT } from './i18n';

const fmt = (t: HubT, iso: string) =>
  new Date(iso).toLocaleString(t.lang === 'zh' ? 'zh-CN' : 'en-GB', { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

const OUTCOME: Record<DoorOpenOutcome, HubKey> = {
  opened: 'outcome.opened',
  sent: 'outcome.sent',
  failed: 'outcome.failed',
  door_offline: 'outcome.door_offline',
  unknown_door: 'outcome.unknown_door',
  expired: 'outcome.expired',
  duplicate: 'outcome.duplicate',
  wrong_compound: 'outcome.wrong_compound',
  invalid: 'outcome.invalid',
  error: 'outcome.error',
};

/** What became of one remote open, as the page shows it. */
type Result = { ok: boolean; text: string };

function outcomeText(t: HubT, c: HubCommand): Result {
  if (c.status === 'unreachable') return { ok: false, text: t('cmd.unreachable') };
  if (c.outcome === null) return { ok: false, text: t(c.status === 'pending' ? 'cmd.pending' : 'cmd.timeout') };
  const text = t(OUTCOME[c.outcome]) + (c.late ? ` ${t('cmd.late')}` : '');
  return { ok: c.outcome === 'opened' || c.outcome === 'sent', text };
}

function errorResult(t: HubT, err: unknown): Result {
  if (err instanceof ApiError && err.code === 'CELL_UNREACHABLE') return { ok: false, text: t('doors.unreachable') };
  if (err instanceof ApiError && err.code === 'CELL_NO_ANSWER') return { ok: false, text: t('doors.noAnswer') };
  return { ok: false, text: t('error.generic', { msg: message(err) }) };
}

function listError(t: HubT, err: unknown): string {
  if (err instanceof ApiError && err.code === 'CELL_UNREACHABLE') return t('doors.listUnreachable');
  if (err instanceof ApiError && err.code === 'CELL_NO_ANSWER') return t('doors.listNoAnswer');
  return t('doors.cellDown', { msg: message(err) });
}

export function CompoundDoors({ t, compound }: { t: HubT; compound: string }) {
  const [doors, setDoors] = useState<{ data: HubDoorList | null; error: unknown }>({ data: null, error: null });
  const [commands, setCommands] = useState<HubCommand[] | null>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    api.doors(compound).then((data) => live && setDoors({ data, error: null }), (error: unknown) => live && setDoors((d) => ({ ...d, error })));
    api.commands(compound).then((c) => live && setCommands(c.commands), () => undefined);
    return () => {
      live = false;
    };
  }, [compound, tick]);
  const reload = () => setTick((n) => n + 1);
  // 404: a hub without command routes (or a compound out of scope, which the history says too): no doors section.
  if (doors.error instanceof ApiError && doors.error.status === 404) return null;
  const down = doors.error === null ? null : listError(t, doors.error);
  return (
    <section class="hub-doors" data-testid="doors">
      <h2>{t('doors.title')} <button type="button" class="hub-link" onClick={reload}>{t('refresh')}</button></h2>
      {down !== null && <p class="hub-error" role="alert" data-testid="doors-error">{down}</p>}
      {doors.data !== null && doors.data.doors.length === 0 && <p class="hub-empty">{t('doors.empty')}</p>}
      {doors.data !== null && !doors.data.mayOpen && doors.data.doors.length > 0 && <p class="hub-muted">{t('doors.notAllowed')}</p>}
      <ul class="hub-door-list">
        {(doors.data?.doors ?? []).map((d) => <DoorRow key={d.id} t={t} compound={compound} door={d} stale={down !== null} mayOpen={doors.data?.mayOpen ?? false} onDone={reload} />)}
      </ul>
      <CommandLog t={t} commands={commands} />
    </section>
  );
}

/** `stale`: the last list could not be read, so the door's state shown before is not known now. */
function DoorRow({ t, compound, door, stale, mayOpen, onDone }: { t: HubT; compound: string; door: CellDoor; stale: boolean; mayOpen: boolean; onDone: () => void }) {
  const [asking, setAsking] = useState(false);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  // What came back, translated when shown (the language may change meanwhile).
  const [got, setGot] = useState<{ command: HubCommand } | { error: unknown } | null>(null);
  const result = got === null ? null : 'command' in got ? outcomeText(t, got.command) : errorResult(t, got.error);
  const send = async () => {
    setBusy(true);
    setGot(null);
    try {
      const { command } = await api.openDoor(compound, door.id, reason.trim());
      setGot({ command });
      setAsking(false);
      setReason('');
    } catch (err) {
      setGot({ error: err });
    } finally {
      setBusy(false);
      onDone();
    }
  };
  return (
    <li class="hub-door" data-door={door.id}>
      <div class="hub-door-head">
        <strong>{door.name}</strong>
        <span class="hub-muted">{door.id}</span>
        {stale ? (
          <span class="hub-state hub-state-unknown">{t('state.unknown')}</span>
        ) : (
          <span class={`hub-state hub-state-${door.online ? 'online' : 'offline'}`}>{t(door.online ? 'doors.online' : 'doors.offline')}</span>
        )}
        {!stale && door.openSince !== null && <span class="hub-hot">{t('doors.openSince', { time: fmt(t, door.openSince) })}</span>}
        {mayOpen && !asking && <button type="button" class="hub-open" onClick={() => setAsking(true)}>{t('doors.open')}</button>}
      </div>
      {asking && (
        <div class="hub-open-form">
          <label>{t('doors.reason')}
            <input name="reason" maxLength={200} placeholder={t('doors.reasonPlaceholder')} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
          </label>
          <button type="button" class="hub-open" disabled={busy || reason.trim().length < 4} onClick={() => void send()}>{t('doors.confirm')}</button>
          <button type="button" class="hub-link" disabled={busy} onClick={() => setAsking(false)}>{t('doors.cancel')}</button>
        </div>
      )}
      {busy && <p class="hub-muted" role="status">{t('doors.sending')}</p>}
      {result !== null && <p class={result.ok ? 'hub-result hub-result-ok' : 'hub-result hub-result-bad'} role="alert" data-testid="open-result">{result.text}</p>}
    </li>
  );
}

function CommandLog({ t, commands }: { t: HubT; commands: HubCommand[] | null }) {
  if (commands === null) return null;
  return (
    <div class="hub-commands">
      <h3>{t('commands.title')}</h3>
      {commands.length === 0 && <p class="hub-empty">{t('commands.empty')}</p>}
      {commands.length > 0 && (
        <div class="hub-scroll">
          <table class="hub-table" data-testid="command-table">
            <thead>
              <tr><th>{t('col.time')}</th><th>{t('col.door')}</th><th>{t('col.by')}</th><th>{t('col.reason')}</th><th>{t('col.result')}</th><th>{t('col.latency')}</th></tr>
            </thead>
            <tbody>
              {commands.map((c) => {
                const r = outcomeText(t, c);
                return (
                  <tr key={c.id} data-command={c.id} data-status={c.status}>
                    <td>{fmt(t, c.sentAt)}</td><td>{c.door}</td><td>{c.username}</td><td class="hub-wrap">{c.reason}</td>
                    <td class={r.ok ? '' : 'hub-hot'}>{r.text}</td>
                    <td class="hub-num">{c.latencyMs === null ? '—' : `${(c.latencyMs / 1000).toFixed(1)} s`}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
