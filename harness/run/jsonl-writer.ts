/**
 * The append-only record stream (`<out>.jsonl`): one JSON object per line, appended synchronously
 * the moment it arrives, so an interrupted or crashing run loses nothing already measured.
 *
 * Line types (field `type`):
 *   start   — { suite, seed, startedAt, sides, cells, scheduled } once, first (`scheduled`: forks
 *             certain to run, i.e. minRounds × cells × sides; an adaptive run may add rounds)
 *   round   — { round, cells } when a round starts: its index (= the fork index of its forks) and
 *             how many cells it runs (cells whose intervals met the target get no more rounds)
 *   skipped — { side, cellId, error: { code, message } } per skipped cell
 *   fork    — { side, cellId, forkIndex, record: ForkRecord } per completed fork
 *   error   — { side, cellId, forkIndex, error: { code, message, stderrTail } } per failed fork
 *   end     — { interrupted, finishedAt, rounds } once, last (absent when the parent itself died)
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ForkRecord, RoundsInfo } from '../../contract/result-schema.js';
import type { ChildFailure } from './executor.js';

export type JsonlLine =
  | { type: 'start'; suite: string; seed: number; startedAt: string; sides: string[]; cells: number; scheduled: number }
  | { type: 'skipped'; side: string; cellId: string; error: { code: string; message: string } }
  | { type: 'round'; round: number; cells: number }
  | { type: 'fork'; side: string; cellId: string; forkIndex: number; record: ForkRecord }
  | { type: 'error'; side: string; cellId: string; forkIndex: number; error: ChildFailure }
  | { type: 'end'; interrupted: boolean; finishedAt: string; rounds: RoundsInfo };

export interface LineSink {
  write(line: JsonlLine): void;
}

/** Appends to `path` (created, with its directory, and truncated on open). */
export class JsonlFile implements LineSink {
  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, '');
  }

  write(line: JsonlLine): void {
    appendFileSync(this.path, JSON.stringify(line) + '\n');
  }
}

/** Keeps the lines in memory (tests). */
export class MemorySink implements LineSink {
  readonly lines: JsonlLine[] = [];
  write(line: JsonlLine): void {
    this.lines.push(line);
  }
}
