import type { HouseholdTag } from '../../contracts/common';
import { type AgeGroup, mobile, personName, type Sex, surname } from './names';
import type { Random } from '../../random';

/**
 * Who lives in a flat. Shares follow the brief (of all households): vacant 5 %, elderly_alone 4 %, empty_nest 8 %,
 * elderly 12 %, rental 15 %, party_member 10 %, hardship 2 %, disabled 2 %.
 *
 * The three elderly colours of the 七彩图 are distinct households, as on the wall charts: `elderly` is elderly living
 * with family; `elderly_alone` and `empty_nest` do not also carry `elderly`. "Every household with elderly" is
 * therefore the union of the three tags.
 */
const VACANT = 0.05;
const OCCUPIED = 1 - VACANT;
// Weights are shares of all households, so with vacant they sum to 1.
const COMPOSITION = [
  ['elderly_alone', 0.04],
  ['empty_nest', 0.08],
  ['elderly', 0.12],
  ['rental', 0.15],
  ['family', OCCUPIED - 0.04 - 0.08 - 0.12 - 0.15],
] as const;
type Composition = (typeof COMPOSITION)[number][0];

export interface Member {
  name: string;
  age: AgeGroup;
  phone: string | null;
}

export interface Occupancy {
  tags: HouseholdTag[];
  /** Empty for a vacant flat; otherwise the first member is the household's contact. */
  members: Member[];
}

export function occupancy(rng: Random, phones: Set<string>): Occupancy {
  if (rng.chance(VACANT)) return { tags: ['vacant'], members: [] };
  const composition: Composition = rng.weighted(COMPOSITION);
  const tags: HouseholdTag[] = composition === 'family' ? [] : [composition];
  // Independent colours, scaled so their share of all households (vacant ones included) matches the brief.
  if (rng.chance(0.1 / OCCUPIED)) tags.push('party_member');
  if (rng.chance(0.02 / OCCUPIED)) tags.push('hardship');
  if (rng.chance(0.02 / OCCUPIED)) tags.push('disabled');
  return { tags, members: members(rng, composition, phones) };
}

function members(rng: Random, composition: Composition, phones: Set<string>): Member[] {
  const family = surname(rng);
  const people: [AgeGroup, Sex, string][] = [];
  const sex = (): Sex => (rng.chance(0.5) ? 'm' : 'f');
  // Wives keep their own surname; children take the father's.
  const couple = (age: AgeGroup): void => {
    const pair: [AgeGroup, Sex, string][] = [[age, 'm', family], [age, 'f', surname(rng)]];
    if (rng.chance(0.5)) pair.reverse();
    people.push(...pair);
  };
  switch (composition) {
    case 'elderly_alone':
      people.push(['old', sex(), family]);
      break;
    case 'empty_nest':
      couple('old');
      break;
    case 'elderly':
      couple('adult');
      people.push(['old', sex(), family]);
      if (rng.chance(0.6)) people.push(['child', sex(), family]);
      break;
    case 'rental': {
      // Tenants are mostly young adults sharing a flat, each with their own surname.
      const n = rng.weighted([[1, 4], [2, 4], [3, 2]] as const);
      for (let i = 0; i < n; i++) people.push(['adult', sex(), i === 0 ? family : surname(rng)]);
      break;
    }
    case 'family': {
      const n = rng.weighted([[1, 10], [2, 30], [3, 35], [4, 25]] as const);
      if (n === 1) {
        people.push(['adult', sex(), family]);
        break;
      }
      couple('adult');
      for (let i = 2; i < n; i++) people.push(['child', sex(), family]);
      break;
    }
  }
  // Children have no phone of their own; the household is reached through its adults.
  return people.map(([age, s, fam]) => ({
    name: personName(rng, fam, age, s),
    age,
    phone: age === 'child' ? null : mobile(rng, phones),
  }));
}

/**
 * Indoor one-key alarms: every elderly_alone flat (docs/domain.md: their alarms matter most), about half of the other
 * elderly and disabled households (smart elderly-care programmes fit them), a few others: ~20 % of all flats.
 */
export function wantsIndoorAlarm(rng: Random, tags: readonly HouseholdTag[]): boolean {
  if (tags.includes('vacant')) return false;
  if (tags.includes('elderly_alone')) return true;
  if (tags.some((t) => t === 'empty_nest' || t === 'elderly' || t === 'disabled')) return rng.chance(0.5);
  return rng.chance(0.085);
}
