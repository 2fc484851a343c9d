import { useCallback, useEffect, useState } from 'preact/hooks';
import type { PassView } from '@linli/gateway/contracts/api/passes';
import type { ResidentHome } from '@linli/gateway/contracts/api/resident';
import { type MSession, api } from './api';
import { errText } from './errors';
import type { MLang, MT } from './i18n';
import { Card, Invite } from './invite';
import { type SavedPass, savedPasses } from './store';
import { formatWindow } from './time';

/** The visitors tab: the household's passes (those kept on the phone when offline), inviting one, its card. */

function passLabel(t: MT, p: PassView): string {
  if (p.state === 'revoked') return t('state.revoked');
  if (p.state === 'expired') return t('state.expired');
  if (p.entriesUsed > 0) return t('state.entered', { n: p.entriesUsed });
  return t('state.upcoming');
}

interface PassRowView {
  id: string;
  visitorName: string;
  validFrom: string;
  validUntil: string;
  label: string;
  revocable: boolean;
}

/** A pass: the visitor, its state and window; its card if this phone issued it; revoking takes two taps. */
function PassRow(props: { t: MT; lang: MLang; tz: string; p: PassRowView; mine: SavedPass | undefined; confirming: boolean; showCard: (p: SavedPass) => void; ask: () => void; revoke: () => void }) {
  const { t, p, mine } = props;
  return (
    <li class="m-pass" data-pass={p.id}>
      <div class="m-pass-head">
        <strong>{p.visitorName}</strong>
        {p.label && <span class="m-chip" data-testid="pass-state">{p.label}</span>}
      </div>
      <div class="m-muted">{formatWindow(Date.parse(p.validFrom), Date.parse(p.validUntil), props.tz, props.lang)}</div>
      <div class="m-row">
        {mine && (
          <button type="button" data-action="show-card" onClick={() => props.showCard(mine)}>
            {t('pass.card')}
          </button>
        )}
        {p.revocable &&
          (props.confirming ? (
            <span class="m-confirm">
              <span>{t('pass.revokeConfirm')}</span>
              <button type="button" class="m-danger" data-action="revoke-confirm" onClick={props.revoke}>
                {t('pass.revoke')}
              </button>
            </span>
          ) : (
            <button type="button" class="m-danger" data-action="revoke" onClick={props.ask}>
              {t('pass.revoke')}
            </button>
          ))}
      </div>
    </li>
  );
}

/** The household's passes from the gateway; offline, the phone's own list says so. */
function usePasses(t: MT, tick: number) {
  const [passes, setPasses] = useState<PassView[] | null>(null);
  const [offline, setOffline] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => {
    api.passes().then(
      (r) => {
        setPasses(r.passes);
        setOffline(false);
      },
      (e: unknown) => {
        if (e instanceof TypeError) setOffline(true);
        else setError(errText(t, e));
      },
    );
  }, [t]);
  useEffect(load, [load, tick]);
  return { passes, offline, error, setError, load };
}

export function Visitors({ t, lang, s, home, tick }: { t: MT; lang: MLang; s: MSession; home: ResidentHome | null; tick: number }) {
  const { passes, offline, error, setError, load } = usePasses(t, tick);
  const [view, setView] = useState<{ kind: 'list' } | { kind: 'invite' } | { kind: 'card'; pass: SavedPass }>({ kind: 'list' });
  const [confirm, setConfirm] = useState<string | null>(null);
  const tz = home?.community.timezone ?? 'Asia/Shanghai';
  const saved = savedPasses(s.user.userId);

  const revoke = async (id: string) => {
    setConfirm(null);
    try {
      await api.revoke(id);
      load();
    } catch (e) {
      setError(errText(t, e));
    }
  };

  if (view.kind === 'invite' && home) return <Invite t={t} lang={lang} s={s} home={home} done={(p) => { load(); setView(p ? { kind: 'card', pass: p } : { kind: 'list' }); }} />;
  if (view.kind === 'card' && home) return <Card t={t} lang={lang} home={home} pass={view.pass} done={() => setView({ kind: 'list' })} />;

  const rows: PassRowView[] = offline
    ? saved.map((p) => ({ ...p, label: '', revocable: false }))
    : (passes ?? []).map((p) => ({ ...p, label: passLabel(t, p), revocable: p.state === 'active' || p.state === 'upcoming' }));
  return (
    <section data-testid="visitors">
      <button type="button" class="m-primary m-big" data-action="invite" disabled={!home || offline} onClick={() => setView({ kind: 'invite' })}>
        ＋ {t('visitors.invite')}
      </button>
      {offline && <p class="m-note" data-testid="offline">{t('visitors.offline')}</p>}
      {error && <p class="m-error" role="alert">{error}</p>}
      {rows.length === 0 && passes !== null && <p class="m-note">{t('visitors.empty')}</p>}
      <ul class="m-list">
        {rows.map((p) => (
          <PassRow
            key={p.id}
            t={t}
            lang={lang}
            tz={tz}
            p={p}
            mine={saved.find((x) => x.id === p.id)}
            confirming={confirm === p.id}
            showCard={(pass) => setView({ kind: 'card', pass })}
            ask={() => setConfirm(p.id)}
            revoke={() => void revoke(p.id)}
          />
        ))}
      </ul>
    </section>
  );
}
