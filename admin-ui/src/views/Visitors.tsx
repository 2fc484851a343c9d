import type { ExpectedVisitors, PassState } from '@linli/gateway/contracts/api/passes';
import { useState } from 'preact/hooks';
import { api } from '../api';
import { clock, dateTime, localDay } from '../format';
import { useLoad } from '../hooks';
import { useT } from '../i18n';
import { toast } from '../ui-state';
import { WalkInForm } from './WalkInForm';

type ExpectedVisitor = ExpectedVisitors['visitors'][number];

const TONE: Record<PassState, string> = { active: 'pill-ok', upcoming: 'pill-warn', expired: 'pill-muted', used_up: 'pill-muted', revoked: 'pill-bad' };

function VisitorTable({ visitors, revoke }: { visitors: ExpectedVisitor[]; revoke: (v: ExpectedVisitor) => void }) {
  const t = useT();
  return (
    <table class="table">
      <thead>
        <tr>
          <th>{t('visitors.name')}</th>
          <th>{t('visitors.household')}</th>
          <th>{t('visitors.window')}</th>
          <th>{t('visitors.entries')}</th>
          <th>{t('visitors.plate')}</th>
          <th>{t('visitors.phone')}</th>
          <th>{t('visitors.state')}</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {visitors.map((v) => (
          <tr key={v.id} data-pass={v.id}>
            <td style={{ fontWeight: 700, fontSize: '1.1rem' }}>{v.visitorName}</td>
            <td>{v.householdLabel}</td>
            <td class="num">
              {dateTime(v.validFrom)} – {clock(v.validUntil).slice(0, 5)}
            </td>
            <td class="num">
              {v.entriesUsed} / {v.maxEntries}
            </td>
            <td>{v.plate ?? '–'}</td>
            <td class="num">{v.phoneMasked ?? '–'}</td>
            <td>
              <span class={`pill ${TONE[v.state]}`}>{t.e.passState[v.state]}</span>
            </td>
            <td>
              {(v.state === 'active' || v.state === 'upcoming') && (
                <button class="btn btn-sm" onClick={() => revoke(v)}>
                  {t('visitors.revoke')}
                </button>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The visitors residents invited for a day: who, to which flat, when, and whether the pass still opens a door. */
export function Visitors() {
  const t = useT();
  const [date, setDate] = useState(localDay());
  const [list, reload] = useLoad(() => api.expectedVisitors(date), date, 30_000);

  const revoke = async (id: string, name: string) => {
    if (!window.confirm(t('visitors.revokeConfirm', { name }))) return;
    try {
      await api.revokePass(id);
      reload();
    } catch (err) {
      toast(t('alert.failed', { msg: err instanceof Error ? err.message : String(err) }), 'error');
    }
  };

  const [walkIn, setWalkIn] = useState(false);
  return (
    <div class="visitors">
      <h1 class="view-title">
        {t('visitors.title')}
        {list.state === 'ok' && <span class="muted">{t('visitors.count', { n: list.value.visitors.length })}</span>}
        <button class="btn btn-lg btn-primary" data-action="walk-in" onClick={() => setWalkIn(true)}>
          {t('walkIn.button')}
        </button>
      </h1>
      {walkIn && (
        <WalkInForm
          close={() => setWalkIn(false)}
          done={() => {
            setDate(localDay());
            reload();
          }}
        />
      )}
      <div class="toolbar">
        <label class="field">
          <span>{t('visitors.date')}</span>
          <input type="date" value={date} onChange={(e) => setDate(e.currentTarget.value || localDay())} />
        </label>
        <div class="field">
          <span>&nbsp;</span>
          <button class="btn" onClick={() => setDate(localDay())}>
            {t('log.today')}
          </button>
        </div>
      </div>
      {list.state !== 'ok' ? (
        <p class="muted">{list.state === 'loading' ? t('common.loading') : t('common.error', { msg: list.message })}</p>
      ) : list.value.visitors.length === 0 ? (
        <p class="empty">{t('visitors.none')}</p>
      ) : (
        <VisitorTable visitors={list.value.visitors} revoke={(v) => void revoke(v.id, v.visitorName)} />
      )}
    </div>
  );
}
