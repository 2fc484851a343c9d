import { useEffect, useState } from 'preact/hooks';
import type { ResidentHome } from '@linli/gateway/contracts/api/resident';
import { type MSession, api } from './api';
import { canvasPng, drawCard } from './card';
import { errText } from './errors';
import type { MLang, MT } from './i18n';
import { type SavedPass, savePass } from './store';
import { type Preset, formatWindow, fromLocalInput, presetWindow, toLocalInput } from './time';

/** Inviting a visitor from the phone (the form), and the invitation card it gives, shown once and kept on the phone. */

interface InviteInput {
  data: FormData;
  window: { from: number; until: number };
  plate: string;
  entries: number;
  userId: string;
}

/** Issues the pass, asks for its visit link (the card works without one), and keeps it on the phone. */
async function issuePass({ data, window, plate, entries, userId }: InviteInput): Promise<SavedPass> {
  const phone = String(data.get('phone') ?? '').trim();
  const created = await api.createPass({
    visitorName: String(data.get('visitorName') ?? ''),
    ...(phone ? { phone } : {}),
    ...(plate.trim() ? { plate: plate.trim().toUpperCase() } : {}),
    // "Now" is the gateway's: a start within the next minute is sent as no start at all.
    ...(window.from > Date.now() + 60_000 ? { validFrom: new Date(window.from).toISOString() } : {}),
    validUntil: new Date(window.until).toISOString(),
    maxEntries: entries,
  });
  let linkUrl: string | null = null;
  try {
    const { token } = await api.visitLink(created.id, created.code);
    linkUrl = `${location.origin}/m/visit#${token}`;
  } catch {
    linkUrl = null;
  }
  const saved: SavedPass = { id: created.id, userId, visitorName: created.visitorName, validFrom: created.validFrom, validUntil: created.validUntil, code: created.code, qrPayload: created.qr.payload, link: linkUrl };
  savePass(saved);
  return saved;
}

/** When the pass is valid: a preset (today, tonight, tomorrow) or a custom window, in the compound's time. */
function useWindow(tz: string) {
  const [preset, setPreset] = useState<Preset | 'custom'>('tonight');
  const initial = presetWindow('tonight', Date.now(), tz);
  const [from, setFrom] = useState(toLocalInput(initial.from, tz));
  const [until, setUntil] = useState(toLocalInput(initial.until, tz));
  const pick = (p: Preset | 'custom') => {
    setPreset(p);
    if (p === 'custom') return;
    const w = presetWindow(p, Date.now(), tz);
    setFrom(toLocalInput(w.from, tz));
    setUntil(toLocalInput(w.until, tz));
  };
  const window = () => (preset === 'custom' ? { from: fromLocalInput(from, tz), until: fromLocalInput(until, tz) } : presetWindow(preset, Date.now(), tz));
  return { preset, pick, from, setFrom, until, setUntil, window };
}

function WhenFields({ t, lang, tz, w }: { t: MT; lang: MLang; tz: string; w: ReturnType<typeof useWindow> }) {
  const { preset } = w;
  return (
    <fieldset>
      <legend>{t('invite.when')}</legend>
      <div class="m-presets">
        {(['today', 'tonight', 'tomorrow', 'custom'] as const).map((p) => (
          <button type="button" key={p} data-preset={p} aria-pressed={preset === p} onClick={() => w.pick(p)}>
            {t(`preset.${p}`)}
          </button>
        ))}
      </div>
      {preset === 'custom' ? (
        <div class="m-custom">
          <label>
            {t('invite.from')}
            <input type="datetime-local" name="from" value={w.from} onInput={(e) => w.setFrom((e.currentTarget as HTMLInputElement).value)} />
          </label>
          <label>
            {t('invite.until')}
            <input type="datetime-local" name="until" value={w.until} onInput={(e) => w.setUntil((e.currentTarget as HTMLInputElement).value)} />
          </label>
        </div>
      ) : (
        <p class="m-window" data-testid="invite-window">
          {(() => {
            const pw = presetWindow(preset, Date.now(), tz);
            return formatWindow(pw.from, pw.until, tz, lang);
          })()}
        </p>
      )}
      <p class="m-muted">{t('invite.tz', { tz })}</p>
    </fieldset>
  );
}

function EntriesStepper({ t, entries, setEntries }: { t: MT; entries: number; setEntries: (f: (n: number) => number) => void }) {
  return (
    <label>
      {t('invite.entries')}
      <div class="m-stepper">
        <button type="button" aria-label="-" onClick={() => setEntries((n) => Math.max(1, n - 1))}>
          −
        </button>
        <output name="entries" data-testid="entries">{entries}</output>
        <button type="button" aria-label="+" onClick={() => setEntries((n) => Math.min(20, n + 1))}>
          ＋
        </button>
      </div>
    </label>
  );
}

export function Invite({ t, lang, s, home, done }: { t: MT; lang: MLang; s: MSession; home: ResidentHome; done: (p: SavedPass | null) => void }) {
  const tz = home.community.timezone;
  const w = useWindow(tz);
  const [plate, setPlate] = useState('');
  const [entries, setEntries] = useState(home.defaultDoors.length || 1);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const doors = [...home.defaultDoors, ...(plate.trim() !== '' ? home.vehicleDoors : [])];

  const submit = async (e: Event) => {
    e.preventDefault();
    const data = new FormData(e.currentTarget as HTMLFormElement);
    const window = w.window();
    if (window.from === null || window.until === null) return;
    setBusy(true);
    setError(null);
    try {
      done(await issuePass({ data, window: { from: window.from, until: window.until }, plate, entries, userId: s.user.userId }));
    } catch (err) {
      setError(errText(t, err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="m-form" data-testid="invite-form" onSubmit={submit}>
      <h2>{t('invite.title')}</h2>
      <label>
        {t('invite.name')}
        <input name="visitorName" required maxLength={32} />
      </label>
      <label>
        {t('invite.phone')}
        <input name="phone" type="tel" inputMode="numeric" pattern="1[3-9][0-9]{9}" />
      </label>
      <label>
        {t('invite.plate')}
        <input name="plate" value={plate} onInput={(e) => setPlate((e.currentTarget as HTMLInputElement).value)} autocapitalize="characters" />
      </label>
      <WhenFields t={t} lang={lang} tz={tz} w={w} />
      <EntriesStepper t={t} entries={entries} setEntries={setEntries} />
      <p class="m-muted" data-testid="invite-doors">
        {t('invite.doorsDefault', { doors: doors.map((d) => d.name).join(' → ') })}
      </p>
      {error && <p class="m-error" role="alert">{error}</p>}
      <div class="m-row">
        <button type="button" onClick={() => done(null)}>
          ←
        </button>
        <button type="submit" class="m-primary m-grow" data-action="invite-submit" disabled={busy}>
          {t('invite.submit')}
        </button>
      </div>
    </form>
  );
}

/** The invitation card drawn on the phone as a PNG (works offline): the host, the visitor, the window and the code. */
function useCardPng(t: MT, lang: MLang, home: ResidentHome, pass: SavedPass) {
  const [png, setPng] = useState<{ blob: Blob; url: string } | null>(null);
  const tz = home.community.timezone;
  useEffect(() => {
    const canvas = drawCard(
      {
        community: home.community.name,
        title: t('card.title'),
        hostLabel: t('card.host'),
        host: `${home.resident.maskedName} · ${home.household.building}${home.household.unit}${lang === 'zh' ? '单元' : ''}`,
        visitorLabel: t('card.visitor'),
        visitor: pass.visitorName,
        windowLabel: t('card.window'),
        window: formatWindow(Date.parse(pass.validFrom), Date.parse(pass.validUntil), tz, lang),
        codeLabel: t('card.code'),
        code: pass.code,
        hint: t('card.hint'),
      },
      pass.qrPayload,
    );
    let cancelled = false;
    void canvasPng(canvas).then((blob) => {
      const reader = new FileReader();
      reader.onload = () => {
        if (!cancelled && typeof reader.result === 'string') setPng({ blob, url: reader.result });
      };
      reader.readAsDataURL(blob);
    });
    return () => {
      cancelled = true;
    };
  }, [home, pass, lang, t, tz]);
  return png;
}

export function Card({ t, lang, home, pass, done }: { t: MT; lang: MLang; home: ResidentHome; pass: SavedPass; done: () => void }) {
  const png = useCardPng(t, lang, home, pass);
  const [note, setNote] = useState<string | null>(null);
  const file = png ? new File([png.blob], `invite-${pass.visitorName}.png`, { type: 'image/png' }) : null;
  const canShare = file !== null && typeof navigator.canShare === 'function' && navigator.canShare({ files: [file] });
  const share = async () => {
    if (!file) return;
    try {
      await navigator.share({ files: [file], title: t('card.title'), ...(pass.link ? { text: pass.link } : {}) });
    } catch {
      // The resident closed the share sheet.
    }
  };
  const copy = async () => {
    if (!pass.link) return;
    try {
      await navigator.clipboard.writeText(pass.link);
      setNote(t('card.linkCopied'));
    } catch {
      setNote(pass.link);
    }
  };
  return (
    <section class="m-card" data-testid="card">
      <p class="m-note">{t('card.once')}</p>
      {png ? <img src={png.url} alt={t('card.title')} data-testid="card-image" /> : <div class="m-card-wait" />}
      <div class="m-actions">
        {canShare && (
          <button type="button" class="m-primary" data-action="share" onClick={() => void share()}>
            {t('card.share')}
          </button>
        )}
        {png && (
          <a class="m-button" href={png.url} download={`invite-${pass.visitorName}.png`} data-action="save">
            {t('card.save')}
          </a>
        )}
        {pass.link && (
          <button type="button" data-action="copy-link" data-link={pass.link} onClick={() => void copy()}>
            {t('card.link')}
          </button>
        )}
        {note && <p class="m-note" data-testid="link-note">{note}</p>}
        <button type="button" data-action="card-done" onClick={done}>
          {t('card.done')}
        </button>
      </div>
    </section>
  );
}
