/**
 * Time-sliced rounds: the parent's side (the child's is harness/child/slice-gate.ts).
 *
 * Why. On the 2-core VMs this project runs on, the machine's speed moves in bursts (README "Where
 * the variance comes from": 50 ms windows of a bare copy loop are slowed in 150 ms bursts and 1 s
 * medians still vary 8.6%), so two forks run one after the other, seconds apart, see different
 * machines; that was most of the fork-to-fork spread, and within-round ratios of cells run seconds
 * apart cancelled none of it. Measured with a bare AES-GCM loop, 8 processes × 20 slices of 100 ms:
 * processes measured one after the other spread by CV 9.4% and 11.9%, the same processes taking
 * turns slice by slice 4.5% and 5.4% (copy loop: 8.8% vs 3.6%). So the forks of one group — the
 * cells a run compares, both sides of a paired run — are started together and take turns on the CPU
 * in slices of `sliceMs` of measuring: each fork's figure averages the machine over the group's
 * whole span, and forks of compared cells sample the same seconds. This is RMIT's interleaving
 * (Abedi & Brecht, ICPE 2017) taken down from whole trials to slices of one trial, with each cell
 * still alone in its own process (no JIT state is shared, unlike running two variants in one VM).
 *
 * One fork runs at a time: the first turn goes out only when every fork of the group has started
 * and asked for it (so no fork's start-up competes with another's warm-up), and a fork keeps the
 * turn through its set-up, calibration and warm-up (exclusive, as when run alone) and hands it back
 * only inside its measured phase and when it exits. Turns go round in the group's (shuffled) order.
 */
import type { Duplex } from 'node:stream';
import { SLICE_GO, SLICE_WAIT } from '../child/slice-gate.js';

/**
 * Default measuring time per turn, ms: two of the measured loop's 50 ms chunks. Longer than the
 * machine's slow bursts are correlated (autocorrelation of 50 ms windows 0.40 at 50 ms, 0.04 at
 * 100 ms), short enough that a 2 s measured phase spreads over 20 turns. Why not shorter, though
 * shorter is more precise (12 vpn cells, 8 rounds, quiet VM, 2026-12-02: within-run ratio
 * half-widths 8–10% at 100 ms, 6–8% at 25 ms, 5–7% at 10 ms): at 10 ms the uint8array
 * jemalloc/glibc ratio falls from ~1.4 (as for forks run alone) to ~1.15 — short turns hide part of
 * the glibc cost this project measures. Charging the event-loop yields to ops/s (scavenge tasks ran
 * there) did not bring it back, nor did a 2 ms untimed re-warm per turn; stopping waiting processes
 * (SIGSTOP) did in part (README "How long a turn should be").
 */
export const DEFAULT_SLICE_MS = 100;
/**
 * Default forks per group at most: 12 = the vpn suite's 3 strategies × 4 allocators of one size and
 * cipher. Each fork of a group stays alive (≈ 60–200 MB) until the group ends.
 */
export const DEFAULT_SLICE_GROUP = 12;

type SlotState = 'starting' | 'waiting' | 'running' | 'gone';

/** One fork's place in a group: the executor attaches the child's turn socket, the runner leaves. */
export interface SliceSlot {
  readonly group: SliceGroup;
  /**
   * The child's turn socket (its extra stdio pipe); call once, right after spawning. `overrun` is
   * called when the child has held the turn for the group's `turnLimitMs` (a hang in its set-up or
   * warm-up, which would otherwise stall every fork of the group): the executor kills it as timed out.
   */
  attach(stream: Duplex, overrun: () => void): void;
  /** The fork is over (exited, failed to start, or was never started); idempotent. */
  leave(): void;
}

export class SliceGroup {
  private readonly states: SlotState[];
  private readonly streams: Array<Duplex | null>;
  private readonly overruns: Array<(() => void) | null>;
  private last = -1;
  private started = false;
  private turnTimer: NodeJS.Timeout | null = null;
  readonly slots: SliceSlot[];
  /** Turns given out (for tests and the progress line). */
  turns = 0;

  /** `turnLimitMs`: the longest a fork may hold the turn (the per-fork time limit). */
  constructor(
    readonly size: number,
    readonly sliceMs: number,
    readonly turnLimitMs: number,
  ) {
    this.states = Array.from({ length: size }, (): SlotState => 'starting');
    this.streams = Array.from({ length: size }, () => null);
    this.overruns = Array.from({ length: size }, () => null);
    this.slots = Array.from({ length: size }, (_, i) => this.makeSlot(i));
  }

  private makeSlot(i: number): SliceSlot {
    return {
      group: this,
      attach: (stream, overrun) => {
        this.streams[i] = stream;
        this.overruns[i] = overrun;
        // A child that died mid-write: its exit is reported by the executor, not here.
        stream.on('error', () => {});
        stream.on('data', (chunk: Buffer) => {
          for (const byte of chunk) {
            if (byte !== SLICE_WAIT || this.states[i] === 'gone') continue;
            if (this.states[i] === 'running') this.endTurn();
            this.states[i] = 'waiting';
          }
          this.schedule();
        });
      },
      leave: () => {
        if (this.states[i] === 'gone') return;
        if (this.states[i] === 'running') this.endTurn();
        this.states[i] = 'gone';
        this.streams[i] = null;
        this.overruns[i] = null;
        this.schedule();
      },
    };
  }

  /** Gives the turn to the next waiting fork after the last one, when nobody has it. */
  private schedule(): void {
    if (this.states.includes('running')) return;
    // The first turn waits until every fork has started (or gone): start-ups compete for the cores.
    if (!this.started && this.states.includes('starting')) return;
    for (let k = 1; k <= this.size; k++) {
      const i = (this.last + k) % this.size;
      if (this.states[i] !== 'waiting') continue;
      this.started = true;
      this.states[i] = 'running';
      this.last = i;
      this.turns++;
      this.streams[i]!.write(Buffer.from([SLICE_GO]));
      this.turnTimer = setTimeout(() => {
        this.turnTimer = null;
        this.overruns[i]?.();
      }, this.turnLimitMs);
      return;
    }
  }

  private endTurn(): void {
    if (this.turnTimer !== null) clearTimeout(this.turnTimer);
    this.turnTimer = null;
  }
}
