import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * The visitor link's secret (docs/resident-app.md): an AES-256-GCM box, under a key derived from the credential key,
 * holding the pass id and its code. The link carries it in the #fragment, which browsers never send to a server, so
 * it is in no access log; the visitor's page posts it, and the gateway answers with the QR only while the pass can
 * still open a door. The URL itself shows no door code (chat previews, link scanners, browser history), a revoked or
 * expired pass's link shows only its state, and a forged or altered token fails authentication.
 */
const VERSION = 1;

export function visitLinkKey(credentialKey: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(credentialKey, 'utf8'), Buffer.alloc(0), Buffer.from('linli visit link v1', 'utf8'), 32));
}

export function sealVisitLink(key: Buffer, passId: string, code: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(`${passId}\n${code}`, 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), iv, body, cipher.getAuthTag()]).toString('base64url');
}

/** The pass id and code in a token this gateway sealed; null for anything else. */
export function openVisitLink(key: Buffer, token: string): { passId: string; code: string } | null {
  const raw = Buffer.from(token, 'base64url');
  if (raw.length < 1 + 12 + 16 + 3 || raw[0] !== VERSION) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(1, 13));
    decipher.setAuthTag(raw.subarray(raw.length - 16));
    const text = Buffer.concat([decipher.update(raw.subarray(13, raw.length - 16)), decipher.final()]).toString('utf8');
    const [passId, code, extra] = text.split('\n');
    if (passId === undefined || code === undefined || extra !== undefined || !/^\d{10}$/.test(code)) return null;
    return { passId, code };
  } catch {
    return null;
  }
}
