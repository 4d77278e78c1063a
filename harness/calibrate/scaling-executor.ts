/**
 * A ChildExecutor that injects a known change on one side: it multiplies a numeric parameter of the
 * cell (the `scaled` workload's `work`) for the head side only, keeping the cell id, so a paired run
 * measures "the same cell" with exactly `factor` times the work. Used by the validation experiment
 * (scripts/validate-compare.ts) to check that compare detects a change of known size.
 */
import type { ChildExecutor, ChildOutcome, ChildRequest } from '../run/executor.js';

export class ScalingExecutor implements ChildExecutor {
  constructor(
    private readonly inner: ChildExecutor,
    private readonly param: string,
    private readonly headFactor: number,
  ) {}

  run(request: ChildRequest): Promise<ChildOutcome> {
    if (request.side.label !== 'head' || this.headFactor === 1) return this.inner.run(request);
    const value = request.cell.params[this.param];
    if (typeof value !== 'number') {
      throw new RangeError(`ScalingExecutor: cell ${request.cell.id} has no numeric param '${this.param}' to scale; use a suite whose cells have it`);
    }
    const scaled = Math.round(value * this.headFactor);
    const cell = { ...request.cell, params: { ...request.cell.params, [this.param]: scaled } };
    return this.inner.run({ ...request, cell });
  }
}
