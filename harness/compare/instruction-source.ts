/**
 * Instruction counts from different counters are different quantities: perf's `instructions:u`
 * (hardware, native speed) and callgrind's `Ir` (valgrind's translation, threads serialised, the JIT
 * tiering on a slowed-down clock). compare refuses to put one against the other, like an environment
 * mismatch. Records written before `instructionSource` existed were counted by perf (the only
 * counter then).
 */
import type { InstructionSource, ResultFile } from '../../contract/result-schema.js';
import { EnvironmentMismatchError } from './errors.js';

/** The counters that produced `file`'s instruction counts (empty when it has none). */
export function instructionSourcesOf(file: ResultFile): Set<InstructionSource> {
  const out = new Set<InstructionSource>();
  for (const c of file.cells) for (const f of c.forks) if (f.instructionsPerOp !== undefined) out.add(f.instructionSource ?? 'perf');
  return out;
}

/**
 * Throws {@link EnvironmentMismatchError} (field `instructionSource`) when both files carry
 * instruction counts and they do not all come from one counter, unless `force` (then a warning).
 * Returns the warnings to show.
 */
export function checkInstructionSources(base: ResultFile, head: ResultFile, force: boolean, labels: [string, string] = ['base', 'head']): string[] {
  const a = instructionSourcesOf(base);
  const b = instructionSourcesOf(head);
  if (a.size === 0 || b.size === 0) return [];
  const all = new Set([...a, ...b]);
  if (all.size === 1) return [];
  const line = `instruction counts come from different counters: ${labels[0]} ${[...a].join('+')}, ${labels[1]} ${[...b].join('+')}`;
  if (!force) {
    throw new EnvironmentMismatchError(
      'instructionSource',
      `refusing to compare: ${line}. perf and callgrind counts are not comparable; re-run both sides with the same --instruction-source, or pass --force to compare anyway`,
    );
  }
  return [`--force: ${line}`];
}
