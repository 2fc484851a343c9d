import jsQR from 'jsqr';
import type { Page } from 'playwright-core';

/**
 * The PNG of an <img> on the page, decoded by the browser itself into RGBA pixels, then read by jsQR here: what a
 * phone camera at the gate would read. Null when no QR code is found; throws when the image is not an inline PNG.
 */
export async function decodeImageQr(page: Page, selector: string): Promise<string | null> {
  const px = await page.locator(selector).evaluate(async (img: HTMLImageElement) => {
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.naturalWidth;
    c.height = img.naturalHeight;
    const ctx = c.getContext('2d');
    if (!ctx) throw new Error('no canvas');
    ctx.drawImage(img, 0, 0);
    const data = ctx.getImageData(0, 0, c.width, c.height).data;
    let s = '';
    for (let i = 0; i < data.length; i += 0x8000) s += String.fromCharCode(...data.subarray(i, i + 0x8000));
    return { w: c.width, h: c.height, b64: btoa(s), src: img.src.slice(0, 22) };
  });
  if (px.src !== 'data:image/png;base64,') throw new Error(`${selector} is not an inline PNG (src starts ${px.src})`);
  return jsQR(new Uint8ClampedArray(Buffer.from(px.b64, 'base64')), px.w, px.h)?.data ?? null;
}
