import type { sitePlanZh } from './site-plan-zh';

/** Site plan from a drawing: English. */
export const sitePlanEn: Record<keyof typeof sitePlanZh, string> = {
  'nav.sitePlan': 'Site plan',
  'plan.title': 'Site plan drawing',
  'plan.intro': 'Upload the compound\u2019s plan (PNG or SVG), then drag buildings, doors, lamps and alarm posts from the list onto their places. The guard station\u2019s map uses the drawing at once; without one it shows the generated grid.',
  'plan.compound': 'Compound',
  'plan.upload': 'Upload drawing (PNG/SVG)',
  'plan.replace': 'Replace drawing',
  'plan.remove': 'Remove drawing',
  'plan.removeConfirm': 'Remove this drawing? The guard station shows the generated grid again; positions are kept.',
  'plan.uploaded': 'Drawing uploaded',
  'plan.saved': 'Position saved: {name}',
  'plan.none': 'This compound has no drawing yet. Upload one to place devices on it.',
  'plan.unplaced': 'Not placed ({n})',
  'plan.unplacedHint': 'Drag onto the drawing.',
  'plan.allPlaced': 'Everything is placed.',
  'plan.placed': 'Placed ({n})',
  'plan.unplace': 'Take off the plan',
  'plan.role.building': 'Building',
  'plan.role.door': 'Door',
  'plan.role.lamp': 'Lamp',
  'plan.role.post': 'Alarm post',
  'plan.size': '{w}×{h}, {kb} KB, uploaded by {by} at {at}',
  'plan.notPlaced': '{n} devices not placed on the drawing yet',
  'plan.compoundAll': 'All compounds',
  'plan.filterCompound': 'Filter by compound',
};
