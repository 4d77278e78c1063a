/** A progress reporter for repeated runs: one line per finished comparison is printed by the caller instead. */
import type { ForkProgress, ProgressReporter } from '../run/progress.js';

export class QuietProgress implements ProgressReporter {
  readonly messages: string[] = [];
  failures = 0;
  start(): void {}
  forkStarted(): void {}
  forkDone(p: ForkProgress): void {
    if (!p.outcome.ok) this.failures++;
  }
  message(line: string): void {
    this.messages.push(line);
  }
  finish(): void {}
}
