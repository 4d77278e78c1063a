import { describe, expect, it } from 'vitest';
import { compareResults, defaultCompareOptions } from '../../../harness/compare/compare-results.js';
import { EnvironmentMismatchError } from '../../../harness/compare/errors.js';
import { checkInstructionSources, instructionSourcesOf } from '../../../harness/compare/instruction-source.js';
import type { InstructionSource, ResultFile } from '../../../contract/result-schema.js';
import { makeResult } from './make-result.js';

/** A result whose forks carry instruction counts from `source` (undefined: a record from before the field existed). */
function counted(source: InstructionSource | undefined | null): ResultFile {
  const r = makeResult([{ id: 'vpn/pooled/glibc/1400', forks: [1000, 1010, 990, 1005, 995, 1002].map((opsPerSec) => ({ opsPerSec })) }]);
  if (source !== null) {
    for (const f of r.cells[0]!.forks) {
      f.instructions = 15_000 * f.ops;
      f.instructionsPerOp = 15_000;
      if (source !== undefined) f.instructionSource = source;
    }
  }
  return r;
}

describe('instruction sources in compare', () => {
  it('reads the sources of a file; records without the field were counted by perf', () => {
    expect([...instructionSourcesOf(counted('callgrind'))]).toEqual(['callgrind']);
    expect([...instructionSourcesOf(counted(undefined))]).toEqual(['perf']);
    expect(instructionSourcesOf(counted(null)).size).toBe(0);
  });

  it('refuses perf counts against callgrind counts, unless --force (then warns)', () => {
    const e = (() => {
      try {
        compareResults(counted('perf'), counted('callgrind'), defaultCompareOptions());
      } catch (err) {
        return err;
      }
      return null;
    })();
    expect(e).toBeInstanceOf(EnvironmentMismatchError);
    expect((e as EnvironmentMismatchError).field).toBe('instructionSource');
    expect((e as Error).message).toMatch(/base perf, head callgrind.*same --instruction-source/);
    expect(checkInstructionSources(counted('perf'), counted('callgrind'), true)).toEqual(['--force: instruction counts come from different counters: base perf, head callgrind']);
  });

  it('compares one counter against itself, and files where one side has no counts', () => {
    expect(checkInstructionSources(counted('callgrind'), counted('callgrind'), false)).toEqual([]);
    expect(checkInstructionSources(counted(undefined), counted('perf'), false)).toEqual([]);
    expect(checkInstructionSources(counted(null), counted('callgrind'), false)).toEqual([]);
    const r = compareResults(counted('callgrind'), counted('callgrind'), defaultCompareOptions());
    expect(r.cells[0]!.metrics.some((m) => m.metric === 'instructionsPerOp')).toBe(true);
  });
});
