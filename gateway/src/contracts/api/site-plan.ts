import { z } from 'zod';
import { DeviceKind } from '../common';

/**
 * A compound's site plan from a drawing (#15 item 5): the uploaded PNG or SVG, and where buildings, doors, lamps and
 * alarm posts sit on it. Positions are fractions of the drawing, x from its left edge and y from its top (0..1),
 * so they survive a drawing exported again at another resolution.
 */

const Iso = z.iso.datetime({ offset: true });
const Id = z.string().min(1).max(64);

/** Largest drawing accepted (a site plan scanned at 300 dpi as PNG is 1–4 MB). */
export const DRAWING_MAX_BYTES = 8 * 1024 * 1024;

export const DrawingType = z.enum(['image/png', 'image/svg+xml']);
export type DrawingType = z.infer<typeof DrawingType>;

export const PlanPoint = z.object({ x: z.number().min(0).max(1), y: z.number().min(0).max(1) });
export type PlanPoint = z.infer<typeof PlanPoint>;

/** A drawing's description (never its bytes): `url` serves it, `sha256` changes with every upload. */
export const DrawingMeta = z.object({
  contentType: DrawingType,
  /** PNG pixels or SVG user units (viewBox). */
  width: z.number().positive(),
  height: z.number().positive(),
  bytes: z.number().int().positive(),
  sha256: z.string(),
  uploadedBy: z.string(),
  uploadedAt: Iso,
  url: z.string(),
});
export type DrawingMeta = z.infer<typeof DrawingMeta>;

export const CompoundRef = z.object({ id: z.string(), name: z.string() });
export type CompoundRef = z.infer<typeof CompoundRef>;

export const PlanItemKind = z.enum(['building', 'device']);
export type PlanItemKind = z.infer<typeof PlanItemKind>;

/** What an item is on the plan: a building, a door (face terminal or vehicle gate), a lamp, an outdoor alarm post. */
export const PlanItemRole = z.enum(['building', 'door', 'lamp', 'post']);
export type PlanItemRole = z.infer<typeof PlanItemRole>;

export const PlanItem = z.object({
  kind: PlanItemKind,
  id: z.string(),
  name: z.string(),
  role: PlanItemRole,
  deviceKind: DeviceKind.nullable(),
  /** Where it sits on the drawing; null: not placed yet. */
  plan: PlanPoint.nullable(),
});
export type PlanItem = z.infer<typeof PlanItem>;

/** GET /api/v1/site/plans/{communityId}: what the site-plan editor shows. */
export const PlanEditor = z.object({
  community: CompoundRef,
  drawing: DrawingMeta.nullable(),
  items: z.array(PlanItem),
});
export type PlanEditor = z.infer<typeof PlanEditor>;

/** GET /api/v1/site/plans: the compounds the caller may draw (a property manager: their own). */
export const PlanCompounds = z.object({ compounds: z.array(CompoundRef.extend({ hasDrawing: z.boolean() })) });
export type PlanCompounds = z.infer<typeof PlanCompounds>;

export const PlanCompoundParam = z.object({ communityId: Id }).strict();

export const PlacementParams = z.object({ communityId: Id, kind: PlanItemKind, itemId: Id }).strict();
export type PlacementParams = z.infer<typeof PlacementParams>;

export const PlacementBody = PlanPoint.strict();
export type PlacementBody = z.infer<typeof PlacementBody>;

/** GET /api/v1/site?communityId=: which compound's plan (default: the caller's compound, else the first). */
export const SiteQuery = z.object({ communityId: Id.optional() }).strict();
export type SiteQuery = z.infer<typeof SiteQuery>;
