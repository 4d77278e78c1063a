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
 * only inside its measured phase and when it exits. Turns go round in the group's (shuffled) order,
 * except that a fork in its measured phase that has waited {@link DEFAULT_MAX_WAIT_MS} goes first
 * (see there: a longer wait changes the fork's garbage collector).
 *
 * Why a fork's set-up and warm-up do not run beside another fork's measuring turns, on the second
 * core, though only ~30% of a group's wall time is measuring: tried on 12 vpn cells (10 rounds,
 * A B A B, 2026-12-04), it made forks 1.3–1.5× cheaper and their figures 1.6–2× more spread. Unpinned,
 * the measuring thread lost 8–10% of its phase to the run queue (the warming fork's compiler and GC
 * threads); with the measuring main threads pinned to one vCPU and everything else to the other, it
 * kept its CPU (97%) but its per-op cost still moved with the neighbour (p50 latency half-width
 * 6.7–15.9% against 1.9–2.4% one at a time). README "Where the variance comes from".
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

/**
 * Longest a fork that is in its measured phase should wait for its next turn, ms: when it has waited
 * this long, it gets the next turn ahead of the round-robin order (a fork still to start then waits
 * longer; nothing in it has run yet). Why: V8 sizes the young generation by the allocation
 * throughput its GC tracer sees over the last 5 s of wall time, and a process that allocated nothing
 * for longer than that halves its new space at its next GC (ReduceNewSpaceSize: low allocation
 * throughput) and keeps the smaller one. In round-robin order the first wait of a fork is every
 * other fork's set-up and warm-up (~1 s each): measured on 12 vpn cells of one size and cipher, 10
 * rounds, 2026-12-04, 70 of 120 forks waited more than 5 s before their second turn, and from that
 * turn on ran 1.58 scavenges per 1,000 ops against 0.57 in their first turn (new space 4 MB →
 * 2 MB, read with `v8.getHeapSpaceStatistics()` in a bare loop paused 6 s; no change after 4.5 s),
 * while the forks that waited less kept one rate all phase (0.84 → 0.82) — a GC configuration set
 * by a fork's place in its group, not by its cell (`--no-memory-reducer` changed nothing). A fork
 * run alone never waits. The check runs when a turn ends (a warm-up is never interrupted), so a
 * wait can reach 1.5 s plus the longest turn nobody interrupts (a start-up and warm-up: ~1.1 s for
 * vpn's warm-up of 400 ms, now ~0.8 s for its 300 ms, ~2 s for the other suites' 1 s) plus a turn
 * for each other overdue fork — 2.5 s at most over the 1,572 forks of a default vpn run, clear of the 5 s window
 * (V8_IDLE_SHRINK_MS in ../child/slice-gate.ts); a `--warmup` of several seconds is not, and each
 * fork records its longest wait (`slicing.longestPauseMs`) and warns when it reached the window.
 * The price: measuring forks are served before the next fork warms up, so the measured phases of
 * a group overlap less in time (in a schedule simulated for 12 vpn forks, the share of seconds two
 * forks both measure fell from about 0.46 to 0.20); on 12 vpn cells run A B A B neither the cells'
 * nor the ratios' intervals got wider beyond the hour's noise (README "Time-sliced rounds").
 * When the group's own cycle of turns, `sliceMs` × size, is longer than this, that is the limit
 * instead: below it some fork would always be overdue and the forks still to start would wait for
 * the whole group's measuring (see {@link SliceGroup}'s `maxWaitMs`).
 */
export const DEFAULT_MAX_WAIT_MS = 1500;

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
  /**
   * When each fork last handed the turn back (clock ms); null until it first does — a fork that has
   * handed the turn back is in its measured phase.
   */
  private readonly waitingSince: Array<number | null>;
  private last = -1;
  private started = false;
  private turnTimer: NodeJS.Timeout | null = null;
  readonly slots: SliceSlot[];
  /** Turns given out (for tests and the progress line). */
  turns = 0;
  /** The wait after which a measuring fork goes first: the asked limit, or one cycle of the group's turns if longer. */
  readonly maxWaitMs: number;

  /**
   * `turnLimitMs`: the longest a fork may hold the turn (the per-fork time limit); `maxWaitMs`: see
   * {@link DEFAULT_MAX_WAIT_MS}; `clock`: ms, for tests.
   */
  constructor(
    readonly size: number,
    readonly sliceMs: number,
    readonly turnLimitMs: number,
    maxWaitMs: number = DEFAULT_MAX_WAIT_MS,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.maxWaitMs = Math.max(maxWaitMs, sliceMs * size);
    this.states = Array.from({ length: size }, (): SlotState => 'starting');
    this.waitingSince = Array.from({ length: size }, () => null);
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
            if (this.states[i] === 'running') {
              this.endTurn();
              this.waitingSince[i] = this.clock();
            }
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

  /**
   * Gives the turn, when nobody has it, to the measuring fork that has waited longest if that is at
   * least `maxWaitMs`, else to the next waiting fork after the last one.
   */
  private schedule(): void {
    if (this.states.includes('running')) return;
    // The first turn waits until every fork has started (or gone): start-ups compete for the cores.
    if (!this.started && this.states.includes('starting')) return;
    const now = this.clock();
    let overdue = -1;
    for (let i = 0; i < this.size; i++) {
      const since = this.waitingSince[i] ?? null;
      if (this.states[i] !== 'waiting' || since === null || now - since < this.maxWaitMs) continue;
      if (overdue < 0 || since < this.waitingSince[overdue]!) overdue = i;
    }
    if (overdue >= 0) {
      this.give(overdue);
      return;
    }
    for (let k = 1; k <= this.size; k++) {
      const i = (this.last + k) % this.size;
      if (this.states[i] !== 'waiting') continue;
      this.give(i);
      return;
    }
  }

  private give(i: number): void {
    this.started = true;
    this.states[i] = 'running';
    this.last = i;
    this.turns++;
    this.streams[i]!.write(Buffer.from([SLICE_GO]));
    this.turnTimer = setTimeout(() => {
      this.turnTimer = null;
      this.overruns[i]?.();
    }, this.turnLimitMs);
  }

  private endTurn(): void {
    if (this.turnTimer !== null) clearTimeout(this.turnTimer);
    this.turnTimer = null;
  }
}
