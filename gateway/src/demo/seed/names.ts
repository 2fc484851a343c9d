import type { Random } from '../../random';

/**
 * Plausible Chinese personal data for the demo: names, mobile numbers, plates. Everything is invented; nothing here
 * identifies a real person.
 */

/** The most common surnames, weighted roughly by frequency (the top 20 cover about half of the population). */
const SURNAMES: readonly (readonly [string, number])[] = [
  ['王', 72], ['李', 71], ['张', 67], ['刘', 54], ['陈', 46], ['杨', 35], ['黄', 24], ['赵', 22], ['吴', 21],
  ['周', 20], ['徐', 17], ['孙', 16], ['马', 15], ['朱', 14], ['胡', 13], ['郭', 12], ['何', 11], ['高', 11],
  ['林', 10], ['罗', 10], ['郑', 9], ['梁', 9], ['谢', 8], ['宋', 7], ['唐', 7], ['许', 7], ['韩', 7], ['冯', 6],
  ['邓', 6], ['曹', 6], ['彭', 5], ['曾', 5], ['肖', 5], ['田', 5], ['董', 5], ['袁', 4], ['潘', 4], ['于', 4],
  ['蒋', 4], ['蔡', 4], ['余', 4], ['杜', 4], ['叶', 4], ['程', 4], ['苏', 3], ['魏', 3], ['吕', 3], ['薛', 3],
  ['雷', 3], ['贺', 3], ['姚', 3], ['常', 2], ['白', 2], ['任', 2], ['闫', 2], ['党', 1], ['权', 1], ['惠', 1],
];

/** Generations are named differently, so a household's names read like one family (建国 and 子涵, not 3 子涵s). */
export type AgeGroup = 'old' | 'adult' | 'child';
export type Sex = 'm' | 'f';

const GIVEN: Record<AgeGroup, Record<Sex, readonly string[]>> = {
  old: {
    m: ['建国', '建军', '国强', '国华', '德明', '振华', '卫东', '红军', '永刚', '福生', '守仁', '满仓', '长顺', '文革', '宝山'],
    f: ['秀英', '桂兰', '淑珍', '秀兰', '玉兰', '凤英', '桂英', '淑芬', '素芳', '翠花', '玉梅', '桂芳', '秀珍', '兰英'],
  },
  adult: {
    m: ['伟', '磊', '勇', '军', '涛', '超', '斌', '强', '鹏', '晓明', '建华', '海涛', '志刚', '文博', '立新', '少华'],
    f: ['静', '丽', '敏', '艳', '娟', '婷', '芳', '霞', '海燕', '丽娜', '晓燕', '雪梅', '春梅', '慧敏', '红霞'],
  },
  child: {
    m: ['浩然', '梓轩', '子墨', '宇航', '俊熙', '思远', '一鸣', '睿', '子轩', '博文', '天佑', '嘉豪'],
    f: ['子涵', '欣怡', '雨桐', '一诺', '佳怡', '诗涵', '梓萱', '语嫣', '可馨', '若曦', '思琪', '梦瑶'],
  },
};

export function surname(rng: Random): string {
  return rng.weighted(SURNAMES);
}

export function personName(rng: Random, family: string, age: AgeGroup, sex: Sex): string {
  return family + rng.pick(GIVEN[age][sex]);
}

/** Mainland mobile prefixes in common use (China Mobile, Unicom, Telecom); matches /^1[3-9]\d{9}$/. */
const MOBILE_PREFIXES = [
  '130', '131', '132', '133', '135', '136', '137', '138', '139', '150', '151', '152', '153', '155', '156', '157',
  '158', '159', '166', '173', '177', '180', '181', '182', '183', '185', '186', '187', '188', '189', '191', '199',
];

/** A mobile number not yet in `taken`; each household's contact number must reach that household only. */
export function mobile(rng: Random, taken: Set<string>): string {
  for (;;) {
    const n = rng.pick(MOBILE_PREFIXES) + String(rng.int(0, 99_999_999)).padStart(8, '0');
    if (!taken.has(n)) {
      taken.add(n);
      return n;
    }
  }
}

// Plates leave out I and O (read as 1 and 0). 陕A is Xi'an; a few cars come from neighbouring prefectures.
const PLATE_LETTERS = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const PLATE_PREFIXES: readonly (readonly [string, number])[] = [['陕A', 85], ['陕D', 6], ['陕E', 4], ['陕C', 3], ['豫A', 2]];

/** A plate not yet in `taken`, e.g. 陕A3K7Q2, or a new-energy 陕AD12345 (green plates, 8 characters). */
export function plate(rng: Random, taken: Set<string>): string {
  for (;;) {
    const prefix = rng.weighted(PLATE_PREFIXES);
    let body: string;
    if (rng.chance(0.2)) {
      body = rng.pick(['D', 'F']) + String(rng.int(0, 99_999)).padStart(5, '0');
    } else {
      body = '';
      for (let i = 0; i < 5; i++) {
        // Mostly digits with a letter or two, like real ordinary plates.
        body += i > 0 && rng.chance(0.7) ? String(rng.int(0, 9)) : rng.pick([...PLATE_LETTERS]);
      }
    }
    const p = prefix + body;
    if (!taken.has(p)) {
      taken.add(p);
      return p;
    }
  }
}
