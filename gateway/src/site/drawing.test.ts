import { crc32, deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { checkDrawing } from './drawing';

function png(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc((1 + width * 3) * height))), chunk('IEND', Buffer.alloc(0))]);
}

const svg = (body = '', attrs = 'viewBox="0 0 400 300"') => Buffer.from(`<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" ${attrs}>${body}</svg>`);
const reason = (b: Buffer) => {
  const r = checkDrawing(b);
  return r.ok ? null : r.reason;
};

describe('checkDrawing', () => {
  it('reads a PNG\u2019s size from its header, whatever the file was called', () => {
    expect(checkDrawing(png(640, 480))).toEqual({ ok: true, contentType: 'image/png', width: 640, height: 480 });
  });

  it('refuses a truncated PNG, an absurd one, and bytes that are no image', () => {
    const p = png(20, 10);
    expect(reason(p.subarray(0, p.length - 12))).toContain('IEND');
    expect(reason(png(20_000, 10))).toContain('1–16384');
    expect(reason(Buffer.from('building,x,y\n1,2,3\n'))).toContain('not a PNG or SVG');
    expect(reason(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]))).toContain('not a PNG or SVG');
    expect(reason(Buffer.alloc(0))).toBe('the file is empty');
  });

  it('takes an SVG\u2019s size from its viewBox, else from width and height in px', () => {
    expect(checkDrawing(svg('<rect width="10" height="10"/>'))).toEqual({ ok: true, contentType: 'image/svg+xml', width: 400, height: 300 });
    expect(checkDrawing(svg('', 'width="800px" height="600"'))).toMatchObject({ ok: true, width: 800, height: 600 });
    expect(reason(svg('', 'width="100%" height="100%"'))).toContain('viewBox');
    expect(reason(Buffer.from('<svg viewBox="0 0 1 1"></svg>'))).toContain('xmlns');
  });

  it('refuses every kind of active content in an SVG', () => {
    for (const body of [
      '<script>alert(1)</script>',
      '<svg:script xmlns:svg="http://www.w3.org/2000/svg">alert(1)</svg:script>',
      '<rect onload="alert(1)"/>',
      '<rect\nONCLICK = "x()"/>',
      '<a href="javascript:alert(1)"><text>x</text></a>',
      '<a xlink:href=" JavaScript :alert(1)"/>',
      '<a href="java&#115;cript:alert(1)"/>',
      '<a href="java&#x09;script:alert(1)"/>',
      '<foreignObject><iframe src="/"/></foreignObject>',
      '<image href="data:text/html,<script>alert(1)</script>"/>',
      '<set attributeName="href" to="javascript:alert(1)"/>',
    ]) {
      expect(checkDrawing(svg(body)), body).toMatchObject({ ok: false });
    }
    expect(reason(Buffer.from('<!DOCTYPE svg [<!ENTITY a "b">]><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>'))).toContain('DOCTYPE');
  });

  it('keeps an ordinary drawing: text in Chinese, styles, references to non-ASCII characters', () => {
    expect(checkDrawing(svg('<style>.b{fill:#999}</style><text x="1" y="2">东区 &#x4E1C;1号楼</text><path d="M0 0L10 10" stroke-linejoin="round"/>'))).toMatchObject({ ok: true });
  });
});
