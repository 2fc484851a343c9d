import { z } from 'zod';
import { DrawingMeta, type PlacementBody, PlanCompounds, PlanEditor, PlanItem, type PlanItemKind } from '@linli/gateway/contracts/api/site-plan';
import { ApiError, call } from './api';
import { endSession, session } from './session';
import { createStore } from './store';

const id = (s: string) => encodeURIComponent(s);

/** The site-plan routes (the admin's editor), every reply parsed with the gateway's contract. */
export const planApi = {
  compounds: () => call(PlanCompounds, 'GET', '/api/v1/site/plans'),
  editor: (communityId: string) => call(PlanEditor, 'GET', `/api/v1/site/plans/${id(communityId)}`),
  place: (communityId: string, kind: PlanItemKind, itemId: string, p: PlacementBody) => call(PlanItem, 'PUT', `/api/v1/site/plans/${id(communityId)}/placements/${kind}/${id(itemId)}`, p),
  unplace: (communityId: string, kind: PlanItemKind, itemId: string) => call(PlanItem, 'DELETE', `/api/v1/site/plans/${id(communityId)}/placements/${kind}/${id(itemId)}`),
  removeDrawing: (communityId: string) => call(z.null(), 'DELETE', `/api/v1/site/plans/${id(communityId)}/drawing`),
  /** The file's bytes as the body; the gateway decides its type from them. */
  async upload(communityId: string, file: Blob): Promise<DrawingMeta> {
    const res = await raw('PUT', `/api/v1/site/plans/${id(communityId)}/drawing`, file);
    return DrawingMeta.parse(await res.json());
  },
};

async function raw(method: string, path: string, body?: Blob): Promise<Response> {
  const s = session.get();
  const res = await fetch(path, {
    method,
    headers: { ...(s ? { authorization: `Bearer ${s.token}` } : {}), ...(body ? { 'content-type': 'application/octet-stream' } : {}) },
    ...(body ? { body } : {}),
  });
  if (res.status === 401) endSession();
  if (!res.ok) {
    const e = z.object({ error: z.string(), message: z.string() }).safeParse(await res.json().catch(() => null));
    throw new ApiError(res.status, e.success ? e.data.error : 'HTTP', e.success ? e.data.message : `HTTP ${res.status}`, undefined);
  }
  return res;
}

const drawings = new Map<string, Promise<string>>();

/**
 * A drawing as a data: URL, fetched with the session's token (an <img> cannot send one). Shown only as an image:
 * an SVG used as an image runs no script and loads nothing. Cached by its URL, which changes with every upload.
 */
export function drawingDataUrl(url: string): Promise<string> {
  let p = drawings.get(url);
  if (!p) {
    p = raw('GET', url)
      .then((r) => r.blob())
      .then(
        (b) =>
          new Promise<string>((resolve, reject) => {
            const fr = new FileReader();
            fr.onload = () => (typeof fr.result === 'string' ? resolve(fr.result) : reject(new Error('unreadable drawing')));
            fr.onerror = () => reject(fr.error ?? new Error('unreadable drawing'));
            fr.readAsDataURL(b);
          }),
      );
    p.catch(() => drawings.delete(url));
    drawings.set(url, p);
  }
  return p;
}

const MAP_KEY = 'linli.mapCompound';

function loadMapCompound(): string | null {
  try {
    const v = localStorage.getItem(MAP_KEY);
    return v !== null && v !== '' ? v : null;
  } catch {
    return null;
  }
}

/**
 * The compound whose map this station shows (kept in the browser: a station in the east gatehouse keeps showing the
 * east compound); null: the caller's own compound, else the first.
 */
export const mapCompound = createStore<string | null>(loadMapCompound());
mapCompound.subscribe((v) => {
  try {
    if (v === null) localStorage.removeItem(MAP_KEY);
    else localStorage.setItem(MAP_KEY, v);
  } catch {
    // Private mode: the choice lasts for this page only.
  }
});

/** The board's compound filter (null: every compound's alarms); not kept, so a reload always shows every alarm. */
export const boardCompound = createStore<string | null>(null);
