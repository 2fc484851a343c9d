import type { Alert } from '@linli/gateway/contracts/api/alerts';
import { useEffect, useState } from 'preact/hooks';
import { useT } from '../i18n';
import { session } from '../session';

const WORDS = { zh: { by: '巡查上报人', text: '问题描述', photo: '现场照片' }, en: { by: 'Reported by', text: 'What is wrong', photo: 'Photo' } } as const;

/** A patrol report's own words, reporter and photo (GET /api/v1/field/alerts/{id}/photo, bearer), on the detail pane. */
export function PatrolFacts({ alert }: { alert: Alert }) {
  const t = useT();
  const w = WORDS[t.lang];
  const [photo, setPhoto] = useState<string | null>(null);
  const hasPhoto = alert.type === 'patrol_report' && alert.detail.photo === true;
  useEffect(() => {
    if (!hasPhoto) return;
    let alive = true;
    const s = session.get();
    // A data: URL (the page's Content-Security-Policy allows images from 'self' and data:, not blob:).
    void fetch(`/api/v1/field/alerts/${encodeURIComponent(alert.id)}/photo`, { headers: s ? { authorization: `Bearer ${s.token}` } : {} })
      .then((r) => (r.ok ? r.blob() : null))
      .then((b) => {
        if (!b) return;
        const reader = new FileReader();
        reader.onload = () => {
          if (alive && typeof reader.result === 'string') setPhoto(reader.result);
        };
        reader.readAsDataURL(b);
      })
      .catch(() => undefined);
    return () => {
      alive = false;
    };
  }, [alert.id, hasPhoto]);
  if (alert.type !== 'patrol_report') return null;
  return (
    <dl class="facts" data-testid="patrol-facts">
      <dt>{w.text}</dt>
      <dd>{typeof alert.detail.text === 'string' ? alert.detail.text : ''}</dd>
      <dt>{w.by}</dt>
      <dd>{typeof alert.detail.reportedBy === 'string' ? alert.detail.reportedBy : ''}</dd>
      {photo && (
        <>
          <dt>{w.photo}</dt>
          <dd>
            <img src={photo} alt={w.photo} style={{ maxWidth: '100%', maxHeight: '240px', borderRadius: '8px' }} data-testid="patrol-photo" />
          </dd>
        </>
      )}
    </dl>
  );
}
