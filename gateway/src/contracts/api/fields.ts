import { z } from 'zod';
import { HouseholdTag } from '../common';
import { normaliseCard } from '../card';

/**
 * Field rules of the compound's master data: one definition for every way a building, household or resident enters
 * Linli (the bulk import today; the single-record admin API and its forms later), so a room number valid in a
 * spreadsheet is valid in a form. Each accepts what property offices actually type (3号楼, 2单元, 501室, a phone with
 * spaces) and yields one canonical value.
 */

/** A spreadsheet cell arrives as text or a number (XLSX): always compared as trimmed text. */
const cellText = (v: unknown) => (typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim() : v);

const numbered = (what: string, suffix: RegExp, max: number) =>
  z.preprocess(
    (v) => {
      const t = cellText(v);
      return typeof t === 'string' ? t.replace(suffix, '') : t;
    },
    z
      .string({ error: `${what}: a number` })
      .regex(/^[0-9]{1,3}$/, `${what}: a number such as 3 (or 3号楼 / 3单元)`)
      .transform(Number)
      .pipe(z.number().int().min(1, `${what}: 1 or more`).max(max, `${what}: at most ${max}`)),
  );

/** 楼栋: 3, 3号楼, 3栋, 3幢 → 3. */
export const BuildingNumber = numbered('building', /\s*(号楼|栋|幢|号)$/u, 999);
/** 单元: 2, 2单元 → 2. */
export const UnitNumber = numbered('unit', /\s*单元$/u, 99);

/** 房号: 501, 1203, 501室, B101 → the number as written without 室; up to 6 characters. */
export const Room = z.preprocess(
  (v) => {
    const t = cellText(v);
    return typeof t === 'string' ? t.replace(/\s*室$/u, '').toUpperCase() : t;
  },
  z.string({ error: 'room: text such as 501' }).regex(/^[A-Z]?[0-9]{1,5}[A-Z]?$/, 'room: such as 501, 1203 or B101'),
);

/** A person's name as on their ID card: 1-32 characters, no digits or control characters. */
export const PersonName = z.preprocess(
  cellText,
  z
    .string({ error: 'name: text' })
    .min(1, 'name: required')
    .max(32, 'name: at most 32 characters')
    .regex(/^[^\p{Cc}0-9]+$/u, 'name: letters only (no digits or control characters)'),
);

/** A mainland mobile number, 11 digits starting 1[3-9]; spaces, dashes and a leading +86 are dropped. */
export const Phone = z.preprocess(
  (v) => {
    const t = cellText(v);
    return typeof t === 'string' ? t.replace(/[\s-]/g, '').replace(/^(\+?86)(?=1\d{10}$)/, '') : t;
  },
  z.string({ error: 'phone: text' }).regex(/^1[3-9][0-9]{9}$/, 'phone: an 11-digit mobile number such as 13812345678'),
);

/**
 * Relation to the head of household (与户主关系), with the words property offices use. The same values as the
 * master-data API's ResidentRelation (admin-people.ts): what an import stores, a form shows.
 */
export const Relation = z.enum(['owner', 'spouse', 'child', 'parent', 'relative', 'tenant', 'other']);
export type Relation = z.infer<typeof Relation>;
export const RELATION_WORDS: Record<string, Relation> = {
  户主: 'owner', 本人: 'owner', self: 'owner', 配偶: 'spouse', 妻: 'spouse', 夫: 'spouse', 妻子: 'spouse', 丈夫: 'spouse',
  子: 'child', 女: 'child', 儿子: 'child', 女儿: 'child', 子女: 'child', 孙子: 'child', 孙女: 'child',
  父: 'parent', 母: 'parent', 父亲: 'parent', 母亲: 'parent', 父母: 'parent',
  亲属: 'relative', 兄弟: 'relative', 姐妹: 'relative', 租户: 'tenant', 租客: 'tenant', 其他: 'other',
};
export const RelationCell = z.preprocess((v) => {
  const t = cellText(v);
  return typeof t === 'string' ? (RELATION_WORDS[t] ?? t.toLowerCase()) : t;
}, z.enum(Relation.options, { error: `relation: one of ${Relation.options.join(', ')} or 户主/配偶/子女/父母/亲属/租户/其他` }));

/** 七彩图 tags in the words on the office's sheet. */
export const TAG_WORDS: Record<string, HouseholdTag> = {
  党员: 'party_member', 空巢: 'empty_nest', 老人: 'elderly', 老年人: 'elderly', 独居老人: 'elderly_alone', 独居: 'elderly_alone',
  困难: 'hardship', 困难户: 'hardship', 残疾: 'disabled', 残疾人: 'disabled', 出租: 'rental', 出租户: 'rental', 空置: 'vacant', 空置房: 'vacant',
};

/** Several values in one cell: 党员、空巢 or 3021457789;3021450001. */
const splitCell = (v: unknown): unknown => {
  const t = cellText(v);
  return typeof t === 'string' ? t.split(/[;；,，、\s]+/u).filter((s) => s !== '') : t;
};

export const TagsCell = z.preprocess(
  (v) => {
    const parts = splitCell(v);
    return Array.isArray(parts) ? parts.map((p) => (typeof p === 'string' ? (TAG_WORDS[p] ?? p.toLowerCase()) : p)) : parts;
  },
  z.array(z.enum(HouseholdTag.options, { error: `tags: any of ${HouseholdTag.options.join(', ')} or 党员/空巢/老人/独居老人/困难/残疾/出租/空置` })),
);

/** An access card number: 4-20 digits or hex characters (what the readers report), in its normal form (contracts/card.ts). */
export const CardNumber = z.preprocess((v) => (typeof v === 'string' ? normaliseCard(v) : v), z.string().regex(/^[0-9A-F]{4,20}$/, 'card: 4-20 digits or hex characters'));
export const CardsCell = z.preprocess(splitCell, z.array(CardNumber));

/** A licence plate as written on the sheet (陕A 12345 → 陕A12345); several are separated by 、 ; or , (not spaces). */
export const PlateCell = z.preprocess((v) => {
  const t = cellText(v);
  const parts = typeof t === 'string' ? t.split(/[;；,，、]+/u).filter((s) => s.trim() !== '') : t;
  return Array.isArray(parts) ? parts.map((p) => (typeof p === 'string' ? p.replace(/[\s·.-]/gu, '').toUpperCase() : p)) : parts;
}, z.array(z.string().regex(/^[\u4e00-\u9fa5A-Z][A-Z0-9]{5,7}$/u, 'plate: a Chinese licence plate such as 陕A12345')));

/** yes/no cells: 是/否, y/n, 1/0, true/false. */
export const YesNoCell = z.preprocess((v) => {
  const t = cellText(v);
  if (typeof t !== 'string') return t;
  if (['是', 'y', 'yes', '1', 'true', '同意'].includes(t.toLowerCase())) return true;
  if (['否', 'n', 'no', '0', 'false', '不同意'].includes(t.toLowerCase())) return false;
  return t;
}, z.boolean({ error: 'a yes/no value: 是/否, yes/no, 1/0' }));
