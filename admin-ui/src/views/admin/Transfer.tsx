import { CompoundList } from '@linli/gateway/contracts/api/admin';
import { type ExportFormat, ExportKind, ExportQuery, type ImportReport } from '@linli/gateway/contracts/api/transfer';
import { useState } from 'preact/hooks';
import { exportFile, importFile, saveBlob } from '../../admin-data-api';
import { fieldErrors } from '../../admin-api';
import { call } from '../../api';
import { localDay } from '../../format';
import { useLoad } from '../../hooks';
import { type MessageKey, useT } from '../../i18n';
import { useStore } from '../../store';
import { session } from '../../session';
import { toast } from '../../ui-state';
import { FieldError } from '../../components/FieldError';

const TEMPLATES = ['residents.xlsx', 'residents.csv', 'devices.xlsx', 'devices.csv'] as const;

/**
 * Import and export (/admin/transfer): a spreadsheet is checked first (every bad row with its row, column and
 * reason), imported only once it is clean; the access log, alerts and audit log are exported for a range of days.
 */
export function Transfer() {
  const t = useT();
  const role = useStore(session)?.user.role;
  const scoped = useStore(session)?.user.communityId ?? null;
  // Admins choose among the compounds; a property manager's account names theirs.
  const [compounds] = useLoad(() => (role === 'admin' ? call(CompoundList, 'GET', '/api/v1/admin/compounds') : Promise.resolve({ compounds: [] })), `xfer:${role ?? ''}`);
  const list = compounds.state === 'ok' ? compounds.value.compounds : [];
  const [picked, setPicked] = useState('');
  const communityId = scoped ?? (picked !== '' ? picked : (list[0]?.id ?? ''));
  return (
    <div class="admin-page" data-testid="transfer">
      <h1 class="view-title">{t('xfer.title')}</h1>
      {scoped === null && (
        <label class="field md-filter">
          <span>{t('xfer.compound')}</span>
          <select name="communityId" value={communityId} onChange={(e) => setPicked(e.currentTarget.value)}>
            {list.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
      )}
      <Import communityId={communityId} />
      <Export communityId={communityId} audit={role === 'admin'} />
    </div>
  );
}

function Import({ communityId }: { communityId: string }) {
  const t = useT();
  const [file, setFile] = useState<File | null>(null);
  const [report, setReport] = useState<ImportReport | null>(null);
  const [busy, setBusy] = useState(false);
  const fail = (err: unknown) => toast(t('alert.failed', { msg: err instanceof Error ? err.message : String(err) }), 'error');

  const run = async (dryRun: boolean) => {
    if (!file || communityId === '') return;
    setBusy(true);
    try {
      setReport(await importFile(file, communityId, dryRun));
    } catch (err) {
      fail(err);
    } finally {
      setBusy(false);
    }
  };
  const clean = report !== null && report.ok && report.dryRun && report.fileName === file?.name;

  return (
    <section class="card admin-form" data-testid="import">
      <h2>{t('xfer.import')}</h2>
      <p class="muted">{t('xfer.importIntro')}</p>
      <p class="muted">
        {t('xfer.templates')}{' '}
        {TEMPLATES.map((f) => (
          <button
            key={f}
            type="button"
            class="btn btn-sm"
            data-template={f}
            onClick={() => void templateDownload(f).catch(fail)}
          >
            {f}
          </button>
        ))}
      </p>
      <div class="form-grid">
        <label class="field">
          <span>{t('xfer.file')}</span>
          <input
            type="file"
            name="file"
            accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            onChange={(e) => {
              setFile(e.currentTarget.files?.[0] ?? null);
              setReport(null);
            }}
          />
        </label>
      </div>
      <div class="dialog-actions">
        <button class="btn btn-lg" type="button" data-action="dry-run" disabled={busy || !file || communityId === ''} onClick={() => void run(true)}>
          {busy ? t('xfer.checking') : t('xfer.check')}
        </button>
        <button class="btn btn-lg btn-primary" type="button" data-action="import" disabled={busy || !clean} onClick={() => void run(false)}>
          {t('xfer.commit')}
        </button>
      </div>
      {report && <Report r={report} />}
    </section>
  );
}

async function templateDownload(file: (typeof TEMPLATES)[number]): Promise<void> {
  const s = session.get();
  const res = await fetch(`/api/v1/transfer/import/templates/${file}`, { headers: s ? { authorization: `Bearer ${s.token}` } : {} });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  saveBlob(await res.blob(), `linli-${file}`);
}

function Report({ r }: { r: ImportReport }) {
  const t = useT();
  const state = !r.ok ? 'bad' : r.dryRun ? 'clean' : 'imported';
  const counts = Object.entries(r.counts).filter(([, c]) => c.created + c.updated + c.unchanged > 0);
  return (
    <div class="import-report" data-testid="import-report" data-state={state}>
      <p class={state === 'bad' ? 'error-text' : 'setup-complete'} role="status">
        {state === 'bad' ? t('xfer.bad', { file: r.fileName, n: r.issuesTotal }) : state === 'clean' ? t('xfer.clean', { file: r.fileName }) : t('xfer.imported', { file: r.fileName })}
      </p>
      {r.issues.length > 0 && (
        <table class="table" data-testid="import-issues">
          <thead>
            <tr>
              <th>{t('xfer.sheet')}</th>
              <th>{t('xfer.row')}</th>
              <th>{t('xfer.column')}</th>
              <th>{t('xfer.reason')}</th>
            </tr>
          </thead>
          <tbody>
            {r.issues.map((i, n) => (
              <tr key={n} data-issue-row={i.row} data-issue-column={i.column ?? ''}>
                <td>{i.sheet}</td>
                <td class="num">{i.row}</td>
                <td>{i.column ?? '–'}</td>
                <td>{i.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {counts.length > 0 && (
        <ul class="import-counts" data-testid="import-counts">
          {counts.map(([k, c]) => (
            <li key={k} data-count={k} data-created={c.created}>
              {t('xfer.counts', { what: t(`xfer.c.${k}` as MessageKey), ...c })}
            </li>
          ))}
        </ul>
      )}
      {r.notes.map((n) => (
        <p key={n} class="muted">
          {n}
        </p>
      ))}
      {r.secretsFile && (
        <p>
          {t('xfer.secrets')}{' '}
          <button class="btn btn-sm" onClick={() => r.secretsFile && saveBlob(new Blob([r.secretsFile.content], { type: 'text/csv' }), r.secretsFile.name)}>
            {t('xfer.secretsDownload')}
          </button>
        </p>
      )}
    </div>
  );
}

function Export({ communityId, audit }: { communityId: string; audit: boolean }) {
  const t = useT();
  const today = localDay();
  const [form, setForm] = useState<{ kind: ExportKind; from: string; to: string; format: ExportFormat }>({ kind: 'access', from: today, to: today, format: 'xlsx' });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const kinds = ExportKind.options.filter((k) => k !== 'audit' || audit);

  const submit = async (e: Event) => {
    e.preventDefault();
    const q = ExportQuery.safeParse({ from: form.from, to: form.to, format: form.format, ...(communityId !== '' ? { communityId } : {}) });
    if (!q.success) return setErrors(fieldErrors(q.error.issues));
    setErrors({});
    setBusy(true);
    try {
      const f = await exportFile(form.kind, q.data);
      saveBlob(f.blob, f.name);
      toast(t('xfer.downloaded', { file: f.name }), 'ok');
    } catch (err) {
      toast(t('alert.failed', { msg: err instanceof Error ? err.message : String(err) }), 'error');
    } finally {
      setBusy(false);
    }
  };
  const err = (k: string) => <FieldError name={k} errors={errors} />;
  return (
    <form class="card admin-form" data-testid="export" onSubmit={(e) => void submit(e)}>
      <h2>{t('xfer.export')}</h2>
      <p class="muted">{t('xfer.exportIntro')}</p>
      <div class="form-grid">
        <label class="field">
          <span>{t('xfer.kind')}</span>
          <select name="kind" value={form.kind} onChange={(e) => setForm({ ...form, kind: ExportKind.catch('access').parse(e.currentTarget.value) })}>
            {kinds.map((k) => (
              <option key={k} value={k}>
                {t(`xfer.k.${k}` as MessageKey)}
              </option>
            ))}
          </select>
        </label>
        <label class="field">
          <span>{t('xfer.from')}</span>
          <input type="date" name="from" value={form.from} onInput={(e) => setForm({ ...form, from: e.currentTarget.value })} aria-invalid={errors.from ? 'true' : undefined} />
          {err('from')}
        </label>
        <label class="field">
          <span>{t('xfer.to')}</span>
          <input type="date" name="to" value={form.to} onInput={(e) => setForm({ ...form, to: e.currentTarget.value })} aria-invalid={errors.to ? 'true' : undefined} />
          {err('to')}
        </label>
        <label class="field">
          <span>{t('xfer.format')}</span>
          <select name="format" value={form.format} onChange={(e) => setForm({ ...form, format: e.currentTarget.value === 'csv' ? 'csv' : 'xlsx' })}>
            <option value="xlsx">XLSX</option>
            <option value="csv">CSV</option>
          </select>
        </label>
      </div>
      <div class="dialog-actions">
        <button class="btn btn-lg btn-primary" type="submit" disabled={busy} data-action="export">
          {t('xfer.download')}
        </button>
      </div>
    </form>
  );
}
