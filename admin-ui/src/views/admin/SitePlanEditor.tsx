import type { DrawingMeta, PlanEditor, PlanItem } from '@linli/gateway/contracts/api/site-plan';
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { dateTime } from '../../format';
import { useLoad } from '../../hooks';
import { type MessageKey, useT } from '../../i18n';
import { forgetSitePlans } from '../../site-data';
import { drawingDataUrl, planApi } from '../../site-plan-api';
import { toast } from '../../ui-state';
import '../../site-plan.css';

/** A marker being dragged: from the list (not placed yet) or moved on the drawing; where the pointer is. */
interface Drag {
  item: PlanItem;
  x: number;
  y: number;
}

const roleKey = (role: PlanItem['role']): MessageKey => `plan.role.${role}`;

/**
 * The site-plan editor (admins; a property manager for their compound): pick a compound, upload its drawing (PNG or
 * SVG), drag buildings, doors, lamps and alarm posts from the list onto it, move placed ones, or take them off.
 * Every drop is saved at once (PUT …/placements/{kind}/{id}, audited); the guard station's map follows.
 */
export function SitePlanEditor() {
  const t = useT();
  const [compounds] = useLoad(() => planApi.compounds(), 'plan-compounds');
  const [picked, setPicked] = useState<string | null>(null);
  const list = compounds.state === 'ok' ? compounds.value.compounds : [];
  const communityId = picked ?? list[0]?.id ?? null;
  const [editor, reload] = useLoad(() => (communityId ? planApi.editor(communityId) : Promise.resolve(null)), `plan-editor:${communityId ?? ''}`);
  const fail = (err: unknown) => toast(t('alert.failed', { msg: err instanceof Error ? err.message : String(err) }), 'error');
  const changed = () => {
    forgetSitePlans();
    reload();
  };

  const upload = async (file: File | undefined) => {
    if (!file || !communityId) return;
    await planApi.upload(communityId, file).then(() => {
      toast(t('plan.uploaded'));
      changed();
    }, fail);
  };
  const remove = async () => {
    if (!communityId || !window.confirm(t('plan.removeConfirm'))) return;
    await planApi.removeDrawing(communityId).then(changed, fail);
  };

  return (
    <div class="admin-page site-plan-editor" data-testid="site-plan-editor">
      <h1 class="view-title">{t('plan.title')}</h1>
      <p class="muted">{t('plan.intro')}</p>
      <div class="plan-toolbar">
        <label class="compound-picker">
          <span class="muted">{t('plan.compound')}</span>
          <select data-testid="plan-compound" value={communityId ?? ''} onChange={(e) => setPicked(e.currentTarget.value)}>
            {list.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
        <label class="btn btn-primary plan-upload">
          {editor.state === 'ok' && editor.value?.drawing ? t('plan.replace') : t('plan.upload')}
          <input
            type="file"
            accept="image/png,image/svg+xml,.png,.svg"
            data-testid="plan-file"
            onChange={(e) => {
              const input = e.currentTarget;
              void upload(input.files?.[0]).finally(() => (input.value = ''));
            }}
          />
        </label>
        {editor.state === 'ok' && editor.value?.drawing && (
          <button class="btn" data-action="remove-drawing" onClick={() => void remove()}>
            {t('plan.remove')}
          </button>
        )}
      </div>
      {editor.state !== 'ok' ? (
        <p class="muted">{editor.state === 'loading' ? t('common.loading') : t('common.error', { msg: editor.message })}</p>
      ) : editor.value === null ? null : (
        <Editor key={editor.value.community.id} editor={editor.value} fail={fail} />
      )}
    </div>
  );
}

type Save = (item: PlanItem, p: { x: number; y: number } | null) => Promise<void>;
type Start = (item: PlanItem) => (e: PointerEvent) => void;

/**
 * Dragging a marker: it follows the pointer anywhere on the page; a drop inside the drawing (`stage`) places the item
 * there. Without a drawing nothing can be dragged.
 */
function usePlanDrag(stage: { current: HTMLDivElement | null }, save: Save, hasDrawing: boolean) {
  const [drag, setDrag] = useState<Drag | null>(null);
  useEffect(() => {
    if (!drag) return;
    const move = (e: PointerEvent) => setDrag((d) => (d ? { ...d, x: e.clientX, y: e.clientY } : d));
    const up = (e: PointerEvent) => {
      const box = stage.current?.getBoundingClientRect();
      const item = drag.item;
      setDrag(null);
      if (!box || box.width === 0 || box.height === 0) return;
      const x = (e.clientX - box.left) / box.width;
      const y = (e.clientY - box.top) / box.height;
      if (x < 0 || x > 1 || y < 0 || y > 1) return;
      void save(item, { x: round(x), y: round(y) });
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up, { once: true });
    return () => {
      window.removeEventListener('pointermove', move);
      window.removeEventListener('pointerup', up);
    };
  }, [drag?.item]);
  const start: Start = (item) => (e) => {
    if (e.button !== 0 || !hasDrawing) return;
    e.preventDefault();
    setDrag({ item, x: e.clientX, y: e.clientY });
  };
  return { drag, start };
}

/** The items not on the drawing yet (drag one onto it), and the placed ones (each can be taken off). */
function ItemList({ editor, unplaced, placed, start, save }: { editor: PlanEditor; unplaced: PlanItem[]; placed: PlanItem[]; start: Start; save: Save }) {
  const t = useT();
  return (
    <aside class="plan-list" data-testid="plan-unplaced">
      {editor.drawing ? <DrawingFacts d={editor.drawing} /> : <p class="muted">{t('plan.none')}</p>}
      <h2>{t('plan.unplaced', { n: unplaced.length })}</h2>
      {unplaced.length === 0 ? <p class="muted">{t('plan.allPlaced')}</p> : editor.drawing && <p class="muted">{t('plan.unplacedHint')}</p>}
      <ul>
        {unplaced.map((i) => (
          <li key={`${i.kind}:${i.id}`}>
            <button class={`plan-chip role-${i.role}`} data-plan-item={i.id} data-plan-kind={i.kind} disabled={!editor.drawing} onPointerDown={start(i)}>
              <span class={`plan-dot role-${i.role}`} aria-hidden="true" />
              <span class="plan-chip-name">{i.name}</span>
              <span class="muted">{t(roleKey(i.role))}</span>
            </button>
          </li>
        ))}
      </ul>
      {placed.length > 0 && (
        <details>
          <summary>{t('plan.placed', { n: placed.length })}</summary>
          <ul>
            {placed.map((i) => (
              <li key={`${i.kind}:${i.id}`} class="plan-placed-row">
                <span class={`plan-dot role-${i.role}`} aria-hidden="true" /> {i.name}
                <button class="btn btn-sm" data-action="unplace" data-plan-item={i.id} onClick={() => void save(i, null)}>
                  {t('plan.unplace')}
                </button>
              </li>
            ))}
          </ul>
        </details>
      )}
    </aside>
  );
}

function Editor({ editor, fail }: { editor: PlanEditor; fail: (err: unknown) => void }) {
  const t = useT();
  const [items, setItems] = useState(editor.items);
  const stage = useRef<HTMLDivElement>(null);
  useEffect(() => setItems(editor.items), [editor]);

  const save = async (item: PlanItem, p: { x: number; y: number } | null) => {
    const id = editor.community.id;
    // Shown where it was dropped at once; put back if the gateway refuses.
    setItems((all) => all.map((i) => (i.kind === item.kind && i.id === item.id ? { ...i, plan: p } : i)));
    try {
      const saved = p === null ? await planApi.unplace(id, item.kind, item.id) : await planApi.place(id, item.kind, item.id, p);
      setItems((all) => all.map((i) => (i.kind === saved.kind && i.id === saved.id ? saved : i)));
      toast(t('plan.saved', { name: item.name }));
      forgetSitePlans();
    } catch (err) {
      setItems((all) => all.map((i) => (i.kind === item.kind && i.id === item.id ? item : i)));
      fail(err);
    }
  };
  const { drag, start } = usePlanDrag(stage, save, editor.drawing !== null);

  const unplaced = items.filter((i) => i.plan === null);
  const placed = items.filter((i) => i.plan !== null);
  return (
    <div class="plan-editor">
      <ItemList editor={editor} unplaced={unplaced} placed={placed} start={start} save={save} />
      {editor.drawing && (
        <section class="plan-canvas">
          <DrawingStage drawing={editor.drawing} stage={stage}>
            {placed.map((i) => (
              <button
                key={`${i.kind}:${i.id}`}
                class={`plan-marker role-${i.role} ${drag?.item.id === i.id && drag.item.kind === i.kind ? 'is-dragging' : ''}`}
                style={{ left: `${(i.plan?.x ?? 0) * 100}%`, top: `${(i.plan?.y ?? 0) * 100}%` }}
                data-plan-marker={i.id}
                data-plan-kind={i.kind}
                title={i.name}
                aria-label={i.name}
                onPointerDown={start(i)}
              />
            ))}
            {/* Labels above every marker and never catching the pointer: a marker never hides a name. */}
            {placed.map((i) => (
              <span key={`${i.kind}:${i.id}:label`} class={`plan-label role-${i.role}`} style={{ left: `${(i.plan?.x ?? 0) * 100}%`, top: `${(i.plan?.y ?? 0) * 100}%` }}>
                {i.name}
              </span>
            ))}
          </DrawingStage>
        </section>
      )}
      {drag && (
        <div class={`plan-ghost role-${drag.item.role}`} style={{ left: `${drag.x}px`, top: `${drag.y}px` }} aria-hidden="true">
          <span class={`plan-dot role-${drag.item.role}`} /> {drag.item.name}
        </div>
      )}
    </div>
  );
}

const round = (v: number) => Math.round(v * 10_000) / 10_000;

function DrawingStage({ drawing, stage, children }: { drawing: DrawingMeta; stage: { current: HTMLDivElement | null }; children: ComponentChildren }) {
  const [src] = useLoad(() => drawingDataUrl(drawing.url), drawing.url);
  return (
    <div class="plan-stage" ref={stage} data-testid="plan-stage" style={{ aspectRatio: `${drawing.width} / ${drawing.height}`, width: `min(100%, calc((100vh - 22rem) * ${drawing.width / drawing.height}))` }}>
      {src.state === 'ok' && <img src={src.value} alt="" draggable={false} data-testid="plan-image" />}
      {children}
    </div>
  );
}

function DrawingFacts({ d }: { d: DrawingMeta }) {
  const t = useT();
  return <p class="muted plan-facts">{t('plan.size', { w: Math.round(d.width), h: Math.round(d.height), kb: Math.ceil(d.bytes / 1024), by: d.uploadedBy, at: dateTime(d.uploadedAt) })}</p>;
}
