/**
 * Site plan of the demo compound, in metres from its south-west corner (x east, y north), so a map can be drawn from
 * the rows alone. Blocks are 6-storey slabs in rows facing south, as in most 1990s Xi'an compounds.
 */

export interface Point {
  x: number;
  y: number;
}

export interface Rect extends Point {
  width: number;
  depth: number;
}

export interface Road {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  width: number;
}

export interface SiteLayout {
  width: number;
  depth: number;
  /** South-west corners, in building-number order (1 is the row nearest the main gate, west end). */
  buildings: Rect[];
  roads: Road[];
  mainGate: Point;
  vehicleGate: Point;
}

/** One stair core with two flats a floor is about 13 m wide. */
export const UNIT_WIDTH = 13;
export const BUILDING_DEPTH = 12;
/** Xi'an's sunlight-spacing rule puts slab rows about 1.2 × their height apart: 6 floors × 3 m → ~22 m. */
const ROW_GAP = 22;
/** A 6 m estate road with a green strip on each side. */
const COLUMN_GAP = 16;
/** Wall to the first building: room for the ring road and parking. */
const MARGIN = 20;
/** The ring road's centre line, inside the wall. */
const RING_INSET = 10;
const ROAD_WIDTH = 6;

const round1 = (v: number): number => Math.round(v * 10) / 10;

export function layoutSite(buildingCount: number, unitsPerBuilding: number): SiteLayout {
  const bw = UNIT_WIDTH * unitsPerBuilding;
  // Choose the column count that makes the compound roughly square: a walled block, not a strip.
  const cols = Math.max(2, Math.round(Math.sqrt((buildingCount * (BUILDING_DEPTH + ROW_GAP)) / (bw + COLUMN_GAP))));
  const rows = Math.ceil(buildingCount / cols);
  const width = 2 * MARGIN + cols * bw + (cols - 1) * COLUMN_GAP;
  const depth = 2 * MARGIN + rows * BUILDING_DEPTH + (rows - 1) * ROW_GAP;

  const buildings: Rect[] = [];
  for (let i = 0; i < buildingCount; i++) {
    const row = Math.floor(i / cols);
    const col = i % cols;
    buildings.push({
      x: MARGIN + col * (bw + COLUMN_GAP),
      y: MARGIN + row * (BUILDING_DEPTH + ROW_GAP),
      width: bw,
      depth: BUILDING_DEPTH,
    });
  }

  const lo = RING_INSET;
  const east = width - RING_INSET;
  const north = depth - RING_INSET;
  const road = (x1: number, y1: number, x2: number, y2: number): Road => ({ x1, y1, x2, y2, width: ROAD_WIDTH });
  const roads: Road[] = [
    road(lo, lo, east, lo),
    road(east, lo, east, north),
    road(east, north, lo, north),
    road(lo, north, lo, lo),
  ];
  // North-south roads between the columns reach every row's doors.
  for (let c = 1; c < cols; c++) {
    const x = MARGIN + c * (bw + COLUMN_GAP) - COLUMN_GAP / 2;
    roads.push(road(x, lo, x, north));
  }
  // People enter at the middle of the south wall; cars a little east of them, so the two flows do not cross.
  const mainGate = { x: round1(width / 2), y: 0 };
  const vehicleGate = { x: round1(width / 2 + 24), y: 0 };
  roads.push(road(mainGate.x, 0, mainGate.x, lo), road(vehicleGate.x, 0, vehicleGate.x, lo));

  return { width, depth, buildings, roads, mainGate, vehicleGate };
}

/**
 * Points every `spacing` metres along the road network, set `side` metres off the centre line (left of travel).
 * The spacing carries over from one road to the next, so short roads still get their share and a count comes out
 * as total length / spacing.
 */
export function pointsAlong(roads: readonly Road[], spacing: number, side: number): Point[] {
  const points: Point[] = [];
  // Distance still to walk before the next point; the first one sits half a spacing in, off the corner.
  let due = spacing / 2;
  for (const r of roads) {
    const dx = r.x2 - r.x1;
    const dy = r.y2 - r.y1;
    const len = Math.hypot(dx, dy);
    const ux = dx / len;
    const uy = dy / len;
    let t = due;
    for (; t < len; t += spacing) {
      points.push({ x: round1(r.x1 + ux * t - uy * side), y: round1(r.y1 + uy * t + ux * side) });
    }
    due = t - len;
  }
  return points;
}

/** Where a unit's door is: on the north face (living rooms take the south), centred on the stair core. */
export function unitDoor(b: Rect, unitNumber: number): Point {
  return { x: round1(b.x + (unitNumber - 0.5) * UNIT_WIDTH), y: round1(b.y + b.depth) };
}

/** A flat's position on the plan: its half of the stair core; floors stack on the same point. */
export function flat(b: Rect, unitNumber: number, roomOnFloor: number, roomsPerFloor: number): Point {
  const w = UNIT_WIDTH / roomsPerFloor;
  return { x: round1(b.x + (unitNumber - 1) * UNIT_WIDTH + (roomOnFloor - 0.5) * w), y: round1(b.y + b.depth / 2) };
}
