import { ComplianceReport } from '@linli/gateway/contracts/api/field';
import { useState } from 'preact/hooks';
import { call } from '../api';
import { duration } from '../format';
import { useLoad } from '../hooks';
import { useT } from '../i18n';

const WORDS = {
  zh: {
    title: '五分钟到场统计（按网格）',
    month: '月份',
    grid: '网格',
    cases: '事件',
    within: '按时到场',
    late: '超时',
    missing: '未到场',
    patrol: '巡查上报',
    share: '按时率',
    reasons: '超时原因',
    none: '本月没有网格',
  },
  en: {
    title: 'Five-minute rule: on site per grid',
    month: 'Month',
    grid: 'Grid',
    cases: 'Cases',
    within: 'In time',
    late: 'Late',
    missing: 'Not on site',
    patrol: 'Patrol reports',
    share: 'Share in time',
    reasons: 'Reasons for lateness',
    none: 'No grids',
  },
} as const;

/** The on-site compliance report (GET /api/v1/field/compliance) on the guard station's statistics page. */
export function OnSiteCompliance() {
  const t = useT();
  const w = WORDS[t.lang];
  // No month chosen: the gateway answers for this month in the compound's own calendar.
  const [month, setMonth] = useState<string | null>(null);
  const [report] = useLoad(() => call(ComplianceReport, 'GET', `/api/v1/field/compliance${month === null ? '' : `?month=${encodeURIComponent(month)}`}`), month ?? '', 15_000);
  const shown = month ?? (report.state === 'ok' ? report.value.month : '');
  return (
    <section class="card span-2 compliance" data-testid="compliance">
      <h2 style={{ display: 'flex', justifyContent: 'space-between', gap: '0.5rem', flexWrap: 'wrap' }}>
        {w.title}
        <input type="month" name="compliance-month" value={shown} onChange={(e) => setMonth(e.currentTarget.value || month)} />
      </h2>
      {report.state !== 'ok' ? (
        <p class="muted">{report.state === 'loading' ? t('common.loading') : t('common.error', { msg: report.message })}</p>
      ) : report.value.rows.length === 0 ? (
        <p class="empty">{w.none}</p>
      ) : (
        <table class="table">
          <thead>
            <tr>
              <th>{w.grid}</th>
              <th>{w.cases}</th>
              <th>{w.within}</th>
              <th>{w.late}</th>
              <th>{w.missing}</th>
              <th>{w.share}</th>
              <th>{w.patrol}</th>
              <th>{w.reasons}</th>
            </tr>
          </thead>
          <tbody>
            {report.value.rows.map((r) => (
              <tr key={r.gridId} data-grid={r.gridId}>
                <td>{r.grid}</td>
                <td class="num">{r.cases}</td>
                <td class="num">{r.withinRule}</td>
                <td class="num">{r.late}</td>
                <td class="num">{r.missing}</td>
                <td class="num" data-testid="share">{r.share === null ? '–' : `${Math.round(r.share * 100)}%`}</td>
                <td class="num">{r.patrolReports}</td>
                <td>
                  {r.lateReasons.map((l) => (
                    <div key={l.alertId} data-testid="late-reason">
                      {l.place} · {t.e.alertType[l.type as keyof typeof t.e.alertType] ?? l.type} · +{duration(l.lateSec)} · {l.by}：{l.reason}
                    </div>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
