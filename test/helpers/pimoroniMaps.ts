// The Unicorn HAT and pHAT pixel maps, copied by hand from the upstream table (Pimoroni
// unicorn-hat library/UnicornHat/unicornhat.py, tables HAT and PHAT; SPEC §7), not from
// podglow's code, so tests check src/output/pimoroni.ts against the source.

/** unicornhat.py table HAT: HAT[x][y] for x = 0..7, indexed after the y = 7 - y flip. */
export const SPEC_HAT: readonly (readonly number[])[] = [
  [7, 6, 5, 4, 3, 2, 1, 0],
  [8, 9, 10, 11, 12, 13, 14, 15],
  [23, 22, 21, 20, 19, 18, 17, 16],
  [24, 25, 26, 27, 28, 29, 30, 31],
  [39, 38, 37, 36, 35, 34, 33, 32],
  [40, 41, 42, 43, 44, 45, 46, 47],
  [55, 54, 53, 52, 51, 50, 49, 48],
  [56, 57, 58, 59, 60, 61, 62, 63],
];

/** The HAT index as unicornhat.py computes it (SPEC §7): flip y (7 - y), rotate, then look up in HAT. */
export function specHatIndex(x: number, y: number, rotation: 0 | 90 | 180 | 270): number {
  const fy = 7 - y;
  const [rx, ry] = { 0: [x, fy], 90: [fy, 7 - x], 180: [7 - x, 7 - fy], 270: [7 - fy, x] }[rotation];
  return SPEC_HAT[rx!]![ry!]!;
}

/** unicornhat.py table PHAT: PHAT[x][y] for x = 0..7, indexed after the y = 3 - y flip. */
export const PIMORONI_PHAT: readonly (readonly number[])[] = [
  [24, 16, 8, 0],
  [25, 17, 9, 1],
  [26, 18, 10, 2],
  [27, 19, 11, 3],
  [28, 20, 12, 4],
  [29, 21, 13, 5],
  [30, 22, 14, 6],
  [31, 23, 15, 7],
];
