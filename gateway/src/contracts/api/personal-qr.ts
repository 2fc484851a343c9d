import { z } from 'zod';
import { CredentialView } from './credentials';

/**
 * A resident's personal QR credential (issue 16, item 5): a way in that is not the face. The payload is shown once
 * (the phone keeps it); the gateway stores only its keyed hash. Issuing again replaces (and so invalidates) the old one.
 */
export const PersonalQrIssued = z.object({
  credential: CredentialView,
  qr: z.object({
    /** What the QR code encodes (signed). */
    payload: z.string(),
    /** The same as a PNG data URL. */
    image: z.string(),
  }),
});
export type PersonalQrIssued = z.infer<typeof PersonalQrIssued>;
