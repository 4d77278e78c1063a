/** Issue 14: compare refuses to pair cells that ran on different runtimes (or Node versions) unless --force. */
import { describe, expect, it } from 'vitest';
import { compareResults, defaultCompareOptions } from '../../../harness/compare/compare-results.js';
import { checkCellRuntimes } from '../../../harness/compare/environment-check.js';
import { EnvironmentMismatchError } from '../../../harness/compare/errors.js';
import type { ResultFile } from '../../../contract/result-schema.js';
import { makeResult } from './make-result.js';

/** A one-cell result run on `runtime` whose forks report `version` (runtime undefined: a file from before the axis). */
function on(runtime: string | undefined, version: string): ResultFile {
  const r = makeResult([{ id: 'alloc/uint8array/glibc/1500', forks: [1000, 1010, 990, 1005, 995, 1002].map((opsPerSec) => ({ opsPerSec })) }]);
  const c = r.cells[0]!;
  if (runtime !== undefined) c.runtime = runtime;
  for (const f of c.forks) f.node = { ...f.node, version };
  return r;
}

describe('compare and the runtime axis', () => {
  it('refuses a cell that ran on node20 in base and node24 in head, naming both; --force turns it into a warning', () => {
    let err: unknown = null;
    try {
      compareResults(on('node20', 'v20.20.2'), on('node24', 'v24.22.3'), defaultCompareOptions());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EnvironmentMismatchError);
    expect((err as EnvironmentMismatchError).field).toBe('cells[alloc/uint8array/glibc/1500].runtime');
    expect((err as Error).message).toMatch(/^refusing to compare: cell alloc\/uint8array\/glibc\/1500 ran on node20 v20\.20\.2 in base but on node24 v24\.22\.3 in head\. .*same --runtime/);
    expect(checkCellRuntimes(on('node20', 'v20.20.2'), on('node24', 'v24.22.3'), true)).toEqual(['--force: cell alloc/uint8array/glibc/1500 ran on node20 v20.20.2 in base but on node24 v24.22.3 in head']);
  });

  it('one runtime name but two Node versions is refused too', () => {
    expect(() => checkCellRuntimes(on('node24', 'v24.22.3'), on('node24', 'v24.23.0'), false)).toThrow(/node24 v24\.22\.3 in base but on node24 v24\.23\.0 in head/);
  });

  it('the same runtime and version compares; a file from before the axis pairs with one of its own kind', () => {
    expect(checkCellRuntimes(on('node24', 'v24.22.3'), on('node24', 'v24.22.3'), false)).toEqual([]);
    expect(checkCellRuntimes(on(undefined, 'v20.20.2'), on(undefined, 'v20.20.2'), false)).toEqual([]);
    // An archived base from before the axis against a new head on the same node: comparable.
    expect(checkCellRuntimes(on(undefined, 'v20.20.2'), on('node20', 'v20.20.2'), false)).toEqual([]);
    expect(() => checkCellRuntimes(on(undefined, 'v20.20.2'), on('node24', 'v24.22.3'), false)).toThrow(/ran on v20\.20\.2 in base but on v24\.22\.3 in head/);
    expect(compareResults(on('node24', 'v24.22.3'), on('node24', 'v24.22.3'), defaultCompareOptions()).cells[0]!.state).toBe('compared');
  });
});
