import type { AlertType, ResponseTimeRow } from '@linli/gateway/contracts/api/alerts';
import { useState } from 'preact/hooks';
import { api } from '../api';
import { GroupedBars, Legend, type Series, StackedBars, niceDuration } from '../components/charts';
import { dayLabel, dayStart, duration, localDay } from '../format';
import { useLoad } from '../hooks';
import { useT } from '../i18n';
import { OnSiteCompliance } from './Compliance';

const PALETTE = ['#e53935', '#fb8c00', '#fdd835', '#43a047', '#1e88e5', '#8e24aa', '#00acc1', '#6d4c41', '#90a4ae'];
const RANGES = [7, 14, 30] as const;

/** The days of the range in community time, oldest first. */
function daysBack(n: number): string[] {
  const out: string[] = [];
  for (let i = n - 1; i >= 0; i--) out.push(localDay(new Date(Date.now() - i * 86_400_000)));
  return out;
}

export function Stats() {
  const t = useT();
  const [range, setRange] = useState<(typeof RANGES)[number]>(14);
  const days = daysBack(range);
  const from = dayStart(days[0] ?? localDay());
  const [report] = useLoad(() => api.responseTimes(from, new Date().toISOString()), `${range}|${from}`);

  return (
    <div class="stats">
      <h1 class="view-title">
        {t('stats.title')}
        <span class="toolbar" style={{ margin: 0 }}>
          {RANGES.map((n) => (
            <button key={n} class={`btn btn-sm ${n === range ? 'btn-primary' : ''}`} onClick={() => setRange(n)}>
              {t('stats.days', { n })}
            </button>
          ))}
        </span>
      </h1>
      {report.state === 'ok' ? (
        <Charts rows={report.value.rows} days={days} />
      ) : (
        <p class="muted">{report.state === 'loading' ? t('common.loading') : t('common.error', { msg: report.message })}</p>
      )}
      <div class="stats-grid">
        <OnSiteCompliance />
      </div>
    </div>
  );
}

type Typed = ResponseTimeRow & { type: AlertType };

/** Per type over the whole range: raised, acknowledged, cleared, and the acknowledgement times. */
function summaryByType(typed: Typed[], types: AlertType[]) {
  return types.map((type) => {
    const rs = typed.filter((r) => r.type === type);
    const p50s = rs.flatMap((r) => (r.ackP50Sec === null ? [] : [r.ackP50Sec])).sort((a, b) => a - b);
    const p90 = Math.max(0, ...rs.map((r) => r.ackP90Sec ?? 0));
    return {
      type,
      raised: rs.reduce((s, r) => s + r.raised, 0),
      acked: rs.reduce((s, r) => s + r.acknowledged, 0),
      cleared: rs.reduce((s, r) => s + r.cleared, 0),
      // Percentiles cannot be merged across days; the median of the daily medians is an honest summary.
      p50: p50s.length > 0 ? (p50s[Math.floor((p50s.length - 1) / 2)] ?? null) : null,
      p90: p90 > 0 ? p90 : null,
    };
  }).sort((a, b) => b.raised - a.raised);
}

function ByTypeTable({ byType }: { byType: ReturnType<typeof summaryByType> }) {
  const t = useT();
  return (
    <section class="card span-2">
      <h2>{t('stats.byType')}</h2>
      <table class="table stats-by-type">
        <thead>
          <tr>
            <th>{t('device.kind')}</th>
            <th>{t('stats.raised')}</th>
            <th>{t('stats.acked')}</th>
            <th>{t('stats.cleared')}</th>
            <th>{t('stats.ackP50')}</th>
            <th>{t('stats.ackP90')}</th>
          </tr>
        </thead>
        <tbody>
          {byType.map((r) => (
            <tr key={r.type}>
              <td>{t.e.alertType[r.type]}</td>
              <td class="num">{r.raised}</td>
              <td class="num">{r.acked}</td>
              <td class="num">{r.cleared}</td>
              <td class="num">{r.p50 === null ? '–' : duration(r.p50)}</td>
              <td class="num">{r.p90 === null ? '–' : duration(r.p90)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Charts({ rows, days }: { rows: ResponseTimeRow[]; days: string[] }) {
  const t = useT();
  const [ackType, setAckType] = useState<AlertType | 'all'>('all');
  const typed = rows.filter((r): r is Typed => r.type !== 'all');
  if (typed.length === 0) return <p class="empty">{t('stats.none')}</p>;
  // The five most frequent types get their own colour; the rest are "other".
  const totals = new Map<AlertType, number>();
  for (const r of typed) totals.set(r.type, (totals.get(r.type) ?? 0) + r.raised);
  const top = [...totals].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([type]) => type);
  const labels = days.map((d) => dayLabel(d, t.lang));
  const count = (pick: (r: (typeof typed)[number]) => boolean) => days.map((d) => typed.filter((r) => r.day === d && pick(r)).reduce((s, r) => s + r.raised, 0));
  const perType: Series[] = [
    ...top.map((type, i) => ({ key: type, label: t.e.alertType[type], color: PALETTE[i] ?? '#999', values: count((r) => r.type === type) })),
    { key: 'other', label: t('stats.other'), color: PALETTE[8] ?? '#999', values: count((r) => !top.includes(r.type)) },
  ].filter((s) => s.values.some((v) => v > 0));
  const all = days.map((d) => rows.find((r) => r.day === d && r.type === ackType));
  const ack: Series[] = [
    { key: 'p50', label: 'p50', color: '#42a5f5', values: all.map((r) => r?.ackP50Sec ?? 0) },
    { key: 'p90', label: 'p90', color: '#ef6c00', values: all.map((r) => r?.ackP90Sec ?? 0) },
  ];
  const byType = summaryByType(typed, [...totals.keys()]);

  return (
    <div class="stats-grid">
      <section class="card">
        <h2>{t('stats.perDay')}</h2>
        <StackedBars labels={labels} series={perType} title={t('stats.perDay')} />
        <Legend series={perType} />
      </section>
      <section class="card">
        <h2 style={{ display: 'flex', justifyContent: 'space-between', gap: '0.5rem', flexWrap: 'wrap' }}>
          {t('stats.ackTime')}
          <select value={ackType} onChange={(e) => setAckType([...totals.keys()].find((k) => k === e.currentTarget.value) ?? 'all')} name="ack-type">
            <option value="all">{t('log.all')}</option>
            {[...totals.keys()].map((k) => (
              <option key={k} value={k}>
                {t.e.alertType[k]}
              </option>
            ))}
          </select>
        </h2>
        <GroupedBars labels={labels} series={ack} title={t('stats.ackTime')} format={(v) => duration(v)} target={{ value: 60, label: t('stats.target') }} nice={niceDuration} />
        <Legend series={ack} target={t('stats.target')} />
      </section>
      <ByTypeTable byType={byType} />
    </div>
  );
}
