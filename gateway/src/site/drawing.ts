import type { DrawingType } from '../contracts/api/site-plan';

/**
 * Reads an uploaded site-plan drawing: what it is (from its bytes, never from the upload's Content-Type) and its
 * size. Pure: no I/O. Errors are values, with a reason the admin can act on.
 *
 * An SVG is a document that can carry scripts. Linli never rewrites the admin's drawing; it refuses one with active
 * content (scripts, event handlers, javascript: links, embedded HTML, entity declarations), and on top of that the
 * drawing is only ever shown as an image (an SVG used as an image runs no script and loads nothing) and served with
 * a sandboxing Content-Security-Policy (site/plan-routes.ts).
 */
export type DrawingCheck = { ok: true; contentType: DrawingType; width: number; height: number } | { ok: false; reason: string };

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Larger than any scanned site plan; keeps a decompression bomb out of the guard station's browser. */
const MAX_PIXELS_SIDE = 16_384;

export function checkDrawing(bytes: Buffer): DrawingCheck {
  if (bytes.length === 0) return { ok: false, reason: 'the file is empty' };
  if (bytes.subarray(0, 8).equals(PNG_SIGNATURE)) return checkPng(bytes);
  const text = svgText(bytes);
  if (text !== null) return checkSvg(text);
  return { ok: false, reason: 'not a PNG or SVG image (the site plan must be a PNG or an SVG drawing)' };
}

function checkPng(b: Buffer): DrawingCheck {
  // Signature, then the IHDR chunk: length 13, type, width, height (big-endian).
  if (b.length < 8 + 25 + 12 || b.readUInt32BE(8) !== 13 || b.toString('latin1', 12, 16) !== 'IHDR') return { ok: false, reason: 'a damaged PNG (no IHDR header)' };
  const width = b.readUInt32BE(16);
  const height = b.readUInt32BE(20);
  if (width === 0 || height === 0 || width > MAX_PIXELS_SIDE || height > MAX_PIXELS_SIDE) return { ok: false, reason: `a PNG of ${width}×${height} pixels: each side must be 1–${MAX_PIXELS_SIDE}` };
  // The last chunk of a complete PNG is IEND (length 0): a truncated upload is refused, not shown half drawn.
  if (b.toString('latin1', b.length - 8, b.length - 4) !== 'IEND') return { ok: false, reason: 'an incomplete PNG (no IEND at its end)' };
  return { ok: true, contentType: 'image/png', width, height };
}

/** The text of what looks like an SVG document (UTF-8, optional BOM, prolog, comments), or null. */
function svgText(b: Buffer): string | null {
  const text = b.toString('utf8');
  if (text.includes('\uFFFD')) return null;
  const head = text.replace(/^\uFEFF/, '').slice(0, 4096);
  // An XML declaration, comments and processing instructions may precede the root element.
  const rest = head.replace(/^\s*(<\?[^>]*\?>\s*|<!--[\s\S]*?-->\s*)*/, '');
  if (/^<!DOCTYPE/i.test(rest)) return text;
  return /^<(svg:)?svg[\s>]/.test(rest) ? text : null;
}

/** Active content: anything that would run or load when the SVG is opened as a document. */
const ACTIVE: Array<[RegExp, string]> = [
  [/<!DOCTYPE|<!ENTITY/i, 'a DOCTYPE or entity declaration'],
  [/<([\w-]+:)?script[\s/>]/i, 'a <script> element'],
  [/<([\w-]+:)?(foreignObject|iframe|embed|object|handler|listener)[\s/>]/i, 'embedded HTML or objects'],
  [/[\s"'/]on[a-z]+\s*=/i, 'an event handler attribute (on…=)'],
  [/(java|vb)script\s*:|data\s*:\s*text\/html/i, 'a script link'],
  [/<([\w-]+:)?(set|animate)\b[^>]*attributeName\s*=\s*["']?(xlink:)?href/i, 'an animated link'],
];

/** A character reference to an ASCII character (&#106; = j, &#x3A; = :) can spell a script link past the checks. */
function escapedAscii(text: string): boolean {
  for (const m of text.matchAll(/&#(x[0-9a-f]+|\d+);?/gi)) {
    const ref = m[1] ?? '';
    const code = ref[0] === 'x' || ref[0] === 'X' ? Number.parseInt(ref.slice(1), 16) : Number.parseInt(ref, 10);
    if (code < 0x80) return true;
  }
  return false;
}

function checkSvg(text: string): DrawingCheck {
  if (escapedAscii(text)) return { ok: false, reason: 'the SVG spells plain characters as references (&#…;), which can hide a script link; export it again as plain SVG' };
  for (const [re, what] of ACTIVE) {
    if (re.test(text)) return { ok: false, reason: `the SVG contains ${what}; export the drawing as plain SVG (or PNG) without scripts` };
  }
  const root = /<(?:svg:)?svg\b([^>]*)>/.exec(text);
  if (!root) return { ok: false, reason: 'not an SVG drawing (no <svg> element)' };
  const attrs = root[1] ?? '';
  if (!/xmlns(:svg)?\s*=\s*["']http:\/\/www\.w3\.org\/2000\/svg["']/.test(attrs)) return { ok: false, reason: 'the SVG has no xmlns="http://www.w3.org/2000/svg" (browsers will not show it as an image)' };
  const size = svgSize(attrs);
  if (!size) return { ok: false, reason: 'the SVG needs a viewBox (or a width and height in px) so markers can be placed on it' };
  return { ok: true, contentType: 'image/svg+xml', ...size };
}

function attr(attrs: string, name: string): string | null {
  const m = new RegExp(`(?:^|\\s)${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`).exec(attrs);
  return m ? (m[1] ?? m[2] ?? null) : null;
}

function svgSize(attrs: string): { width: number; height: number } | null {
  const box = attr(attrs, 'viewBox')?.trim().split(/[\s,]+/).map(Number);
  if (box && box.length === 4 && box.every(Number.isFinite)) {
    const [, , w = 0, h = 0] = box;
    if (w > 0 && h > 0) return { width: w, height: h };
  }
  const px = (v: string | null) => (v !== null && /^\s*[\d.]+\s*(px)?\s*$/.test(v) ? Number.parseFloat(v) : Number.NaN);
  const width = px(attr(attrs, 'width'));
  const height = px(attr(attrs, 'height'));
  return width > 0 && height > 0 ? { width, height } : null;
}
