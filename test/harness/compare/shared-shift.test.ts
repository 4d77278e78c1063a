import { describe, expect, it } from 'vitest';
import { MIN_CELLS_FOR_SHIFT, sharedShift } from '../../../harness/compare/shared-shift.js';

describe('sharedShift (median of the cells\' ratios)', () => {
  const cell = (b: number, h: number) => ({ base: [b * 0.99, b, b * 1.01], head: [h * 0.99, h, h * 1.01] });

  it('is the median head/base ratio over cells, robust to a minority that changed', () => {
    const cells = [cell(100, 110), cell(200, 220), cell(50, 55), cell(10, 11), cell(300, 330), cell(70, 77 * 0.8), cell(40, 44 * 1.5)];
    const s = sharedShift(cells);
    expect(s.cells).toBe(7);
    expect(s.factor).toBeCloseTo(1.1, 10);
  });

  it(`needs ${MIN_CELLS_FOR_SHIFT} cells with positive medians; leaves the others out`, () => {
    const five = [cell(1, 2), cell(1, 2), cell(1, 2), cell(1, 2), cell(1, 2)];
    expect(sharedShift(five)).toEqual({ cells: 5, factor: null });
    expect(sharedShift([...five, { base: [0, 0], head: [1, 1] }, { base: [], head: [1] }])).toEqual({ cells: 5, factor: null });
    expect(sharedShift([...five, cell(3, 6)]).factor).toBeCloseTo(2, 10);
  });
});
