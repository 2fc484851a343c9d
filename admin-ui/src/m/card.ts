import QRCode from 'qrcode';

/** What the invitation card says; every text already in the resident's language and the compound's time. */
export interface CardText {
  community: string;
  title: string;
  hostLabel: string;
  host: string;
  visitorLabel: string;
  visitor: string;
  windowLabel: string;
  window: string;
  codeLabel: string;
  code: string;
  hint: string;
}

const FONT = '"PingFang SC", "Noto Sans CJK SC", "WenQuanYi Micro Hei", "Microsoft YaHei", sans-serif';
const W = 720;
const H = 1120;

/** Draws a QR code's modules (qrcode's matrix, error correction M, as the gateway's own image) onto a context. */
export function drawQr(ctx: CanvasRenderingContext2D, payload: string, x: number, y: number, size: number): void {
  const qr = QRCode.create(payload, { errorCorrectionLevel: 'M' });
  const n = qr.modules.size;
  const quiet = 4;
  const cell = Math.floor(size / (n + quiet * 2));
  const total = cell * (n + quiet * 2);
  const ox = x + Math.floor((size - total) / 2);
  const oy = y + Math.floor((size - total) / 2);
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(ox, oy, total, total);
  ctx.fillStyle = '#000000';
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) if (qr.modules.get(r, c)) ctx.fillRect(ox + (c + quiet) * cell, oy + (r + quiet) * cell, cell, cell);
}

/** "0123456789" → "012 345 6789": easier to read out and to type. */
export function spacedCode(code: string): string {
  return `${code.slice(0, 3)} ${code.slice(3, 6)} ${code.slice(6)}`;
}

/** The invitation card as a canvas (720×1120): compound, host (masked), place, visitor, window, QR, keypad code. */
export function drawCard(t: CardText, qrPayload: string): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = W;
  canvas.height = H;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2d canvas');
  ctx.fillStyle = '#f4f1ea';
  ctx.fillRect(0, 0, W, H);
  ctx.fillStyle = '#b3261e';
  ctx.fillRect(0, 0, W, 150);
  ctx.fillStyle = '#ffffff';
  ctx.textBaseline = 'middle';
  ctx.font = `bold 44px ${FONT}`;
  ctx.fillText(t.community, 40, 58, W - 80);
  ctx.font = `30px ${FONT}`;
  ctx.fillText(t.title, 40, 112, W - 80);

  ctx.fillStyle = '#1d1b18';
  const row = (label: string, value: string, y: number) => {
    ctx.font = `26px ${FONT}`;
    ctx.fillStyle = '#6b645a';
    ctx.fillText(label, 40, y);
    ctx.font = `bold 34px ${FONT}`;
    ctx.fillStyle = '#1d1b18';
    ctx.fillText(value, 200, y, W - 240);
  };
  row(t.hostLabel, t.host, 200);
  row(t.visitorLabel, t.visitor, 256);
  row(t.windowLabel, t.window, 312);

  drawQr(ctx, qrPayload, (W - 500) / 2, 350, 500);

  ctx.textAlign = 'center';
  ctx.font = `26px ${FONT}`;
  ctx.fillStyle = '#6b645a';
  ctx.fillText(t.codeLabel, W / 2, 900);
  ctx.font = `bold 64px ${FONT}`;
  ctx.fillStyle = '#1d1b18';
  ctx.fillText(spacedCode(t.code), W / 2, 966);
  ctx.font = `26px ${FONT}`;
  ctx.fillStyle = '#6b645a';
  ctx.fillText(t.hint, W / 2, 1050, W - 80);
  return canvas;
}

export function canvasPng(canvas: HTMLCanvasElement): Promise<Blob> {
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('no PNG'))), 'image/png'));
}
