/**
 * Progress of a run: on a terminal a one-line bar with ETA redrawn in place; otherwise (CI logs,
 * pipes, tests) one plain line per finished fork. Messages (skips, warnings) go through the same
 * object so they never tear the bar.
 */
import type { ChildOutcome } from './executor.js';

export interface ForkProgress {
  done: number;
  total: number;
  cellId: string;
  forkIndex: number;
  side: string;
  /** Whether the run has more than one side (then the side label is shown). */
  paired: boolean;
  outcome: ChildOutcome;
  elapsedMs: number;
  /** Estimated time to finish the remaining forks, ms (mean fork time so far × remaining). */
  etaMs: number;
}

export interface ProgressReporter {
  start(total: number): void;
  forkStarted(cellId: string, forkIndex: number, side: string): void;
  forkDone(p: ForkProgress): void;
  message(line: string): void;
  finish(): void;
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export function formatRate(opsPerSec: number): string {
  if (opsPerSec >= 1e9) return `${(opsPerSec / 1e9).toFixed(2)}G`;
  if (opsPerSec >= 1e6) return `${(opsPerSec / 1e6).toFixed(2)}M`;
  if (opsPerSec >= 1e3) return `${(opsPerSec / 1e3).toFixed(1)}k`;
  return opsPerSec.toFixed(1);
}

function outcomeText(o: ChildOutcome): string {
  return o.ok ? `${formatRate(o.record.opsPerSec)} ops/s` : `${o.error.code}: ${o.error.message}`;
}

/** One line per fork: `[3/96] alloc/pooled/glibc/1500 fork 1: 1.23M ops/s (0.9s, ETA 1m30s)`. */
export class PlainProgress implements ProgressReporter {
  constructor(private readonly out: (line: string) => void) {}
  start(total: number): void {
    this.out(`running ${total} fork${total === 1 ? '' : 's'}`);
  }
  forkStarted(): void {
    // Plain mode reports finished forks only: one line each, nothing to redraw.
  }
  forkDone(p: ForkProgress): void {
    const side = p.paired ? ` [${p.side}]` : '';
    this.out(`[${p.done}/${p.total}] ${p.cellId}${side} fork ${p.forkIndex}: ${outcomeText(p.outcome)} (${formatDuration(p.elapsedMs)}, ETA ${formatDuration(p.etaMs)})`);
  }
  message(line: string): void {
    this.out(line);
  }
  finish(): void {
    // Nothing to clear in plain mode.
  }
}

/** A bar redrawn with `\r` on a terminal stream. */
export class TtyProgress implements ProgressReporter {
  private total = 0;
  private done = 0;
  private etaMs = 0;
  private current = '';

  constructor(
    private readonly stream: { write(s: string): unknown; columns?: number },
  ) {}

  start(total: number): void {
    this.total = total;
    this.draw();
  }
  forkStarted(cellId: string, forkIndex: number, side: string): void {
    this.current = `${cellId} #${forkIndex}${side === 'head' || side === 'base' ? ` ${side}` : ''}`;
    this.draw();
  }
  forkDone(p: ForkProgress): void {
    this.done = p.done;
    this.etaMs = p.etaMs;
    if (!p.outcome.ok) this.message(`${p.cellId} fork ${p.forkIndex}: ${outcomeText(p.outcome)}`);
    else this.draw();
  }
  message(line: string): void {
    this.stream.write(`\r\x1b[K${line}\n`);
    this.draw();
  }
  finish(): void {
    this.stream.write('\r\x1b[K');
  }
  private draw(): void {
    const width = 24;
    const filled = this.total === 0 ? 0 : Math.round((this.done / this.total) * width);
    const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
    const eta = this.done === 0 ? 'ETA …' : `ETA ${formatDuration(this.etaMs)}`;
    let line = `[${bar}] ${this.done}/${this.total} ${eta}  ${this.current}`;
    const cols = this.stream.columns ?? 100;
    if (line.length > cols - 1) line = line.slice(0, cols - 1);
    this.stream.write(`\r\x1b[K${line}`);
  }
}
