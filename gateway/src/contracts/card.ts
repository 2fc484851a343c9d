/**
 * The one normal form of an access card number, applied wherever a card enters (the admin API, the import, the
 * blacklist) and wherever one is looked up (the gateway's decision, a door terminal's offline set): whitespace
 * removed, hex letters in upper case. Readers and office sheets differ ("3a 4b 5c 6d" and "3A4B5C6D" are one card);
 * the stored HMAC is of the normal form, so both find it.
 */
export function normaliseCard(value: string): string {
  return value.replace(/\s+/gu, '').toUpperCase();
}
