import { describe, expect, it } from 'vitest';
import { CompoundBody, HouseholdBody, IanaTimezone, Phone } from './api/admin';
import { PaperConsentBody } from './api/admin-people';

describe('admin contracts', () => {
  it('accepts IANA zones and refuses abbreviations, offsets and made-up zones', () => {
    for (const tz of ['Asia/Shanghai', 'Asia/Urumqi', 'Europe/Berlin', 'America/Argentina/Buenos_Aires', 'UTC']) expect(IanaTimezone.safeParse(tz).success, tz).toBe(true);
    for (const tz of ['CST', '+08:00', 'UTC+8', 'China/Beijing', 'Asia/Shanghai ', '']) expect(IanaTimezone.safeParse(tz).success, tz).toBe(false);
  });

  it('fills the defaults a form leaves out', () => {
    expect(CompoundBody.parse({ name: ' 长庆坊 ', latitude: 34.2, longitude: 108.9 })).toEqual({ name: '长庆坊', address: '', latitude: 34.2, longitude: 108.9, timezone: 'Asia/Shanghai' });
    expect(HouseholdBody.parse({ unitId: 'u', room: '501' })).toEqual({ unitId: 'u', room: '501', tags: [], gridId: null });
  });

  it('names the field of each problem', () => {
    const r = CompoundBody.safeParse({ name: '', latitude: 91, longitude: 0, timezone: 'CST' });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path.join('.')).sort()).toEqual(['latitude', 'name', 'timezone']);
  });

  it('takes mobile and landline numbers', () => {
    for (const p of ['13812345678', '029-88887777', '01088887777']) expect(Phone.safeParse(p).success, p).toBe(true);
    for (const p of ['12812345678', '1381234567', '+8613812345678']) expect(Phone.safeParse(p).success, p).toBe(false);
  });

  it('needs the paper form reference when the office records consent', () => {
    expect(PaperConsentBody.safeParse({ consent: true }).success).toBe(false);
    expect(PaperConsentBody.safeParse({ consent: true, paperFormRef: 'F-1' }).success).toBe(true);
    expect(PaperConsentBody.safeParse({ consent: false }).success).toBe(true);
  });
});
