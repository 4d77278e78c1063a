/**
 * OpenVPN's replay protection for UDP (`packet_id.c`, backtrack mode; `--replay-window n t`,
 * defaults 64 and 15 s). Semantics reproduced:
 *
 * - packet id 0 is never valid;
 * - a (time, id) pair with a later time starts a new sequence (long form only; short form has time 0);
 *   an earlier time is rejected;
 * - with the same time, an id above the highest seen is accepted; an id up to `n − 1` below it is
 *   accepted once, unless it has expired; further back is rejected;
 * - time backtrack: every 5 s (SEQ_REAP_INTERVAL) the window is reaped: starting from the newest
 *   entry, the first *received* entry older than `t` seconds and every entry older than it are
 *   marked expired, so a packet that arrives more than `t` seconds after a later one is rejected.
 *
 * State is a ring of receive times (0 = unseen, 1 = expired, else the local second it arrived).
 * No allocation after construction.
 */

const SEQ_UNSEEN = 0;
const SEQ_EXPIRED = 1;
/** `packet_id.h`: how often the window is reaped, seconds. */
export const SEQ_REAP_INTERVAL_S = 5;
export const DEFAULT_REPLAY_WINDOW = 64;
export const DEFAULT_REPLAY_TIME_S = 15;
/** `packet_id.h` bounds for `--replay-window`. */
export const MIN_SEQ_BACKTRACK = 0;
export const MAX_SEQ_BACKTRACK = 65536;
export const MAX_TIME_BACKTRACK_S = 600;

export class ReplayConfigError extends Error {
  readonly code = 'E_REPLAY_WINDOW';
  constructor(message: string) {
    super(message);
    this.name = 'ReplayConfigError';
  }
}

export class ReplayWindow {
  private readonly ring: Float64Array;
  private head = 0;
  private size = 0;
  /** Highest id seen in the current sequence (OpenVPN's `p->id`). */
  private id = 0;
  /** Time field of the current sequence (`p->time`). */
  private time = 0;
  private lastReapS = 0;
  /** The largest backtrack seen (`max_backtrack_stat`), for diagnostics. */
  maxBacktrack = 0;

  /**
   * @param windowPackets `n` of `--replay-window` (0…65536).
   * @param backtrackSeconds `t` of `--replay-window` (0…600; 0 disables time expiry).
   * @param nowSeconds the local clock in whole seconds (OpenVPN's `now`); injected for tests.
   */
  constructor(
    readonly windowPackets: number = DEFAULT_REPLAY_WINDOW,
    readonly backtrackSeconds: number = DEFAULT_REPLAY_TIME_S,
    private readonly nowSeconds: () => number = () => Math.floor(Date.now() / 1000),
  ) {
    if (!Number.isInteger(windowPackets) || windowPackets < 1 || windowPackets > MAX_SEQ_BACKTRACK) {
      throw new ReplayConfigError(`replay window ${windowPackets}: give a whole number of packets in 1..${MAX_SEQ_BACKTRACK} (OpenVPN's default is 64)`);
    }
    if (!Number.isInteger(backtrackSeconds) || backtrackSeconds < 0 || backtrackSeconds > MAX_TIME_BACKTRACK_S) {
      throw new ReplayConfigError(`replay time ${backtrackSeconds}: give whole seconds in 0..${MAX_TIME_BACKTRACK_S} (OpenVPN's default is 15)`);
    }
    this.ring = new Float64Array(windowPackets);
  }

  /** Ring index of the entry `i` back from the newest; `0 <= i < size <= capacity` (no `%`). */
  private at(i: number): number {
    const k = this.head - i;
    return k < 0 ? k + this.ring.length : k;
  }

  private item(i: number): number {
    return this.ring[this.at(i)]!;
  }

  private setItem(i: number, v: number): void {
    this.ring[this.at(i)] = v;
  }

  private push(v: number): void {
    this.head = this.head + 1 === this.ring.length ? 0 : this.head + 1;
    this.ring[this.head] = v;
    if (this.size < this.ring.length) this.size++;
  }

  /**
   * Checks and, when acceptable, records `(id, time)` (OpenVPN's reap_test + test + add, as in
   * `crypto_check_replay`). Returns false for a replay or a packet outside the window.
   */
  check(id: number, time: number): boolean {
    const now = this.nowSeconds();
    if (this.lastReapS + SEQ_REAP_INTERVAL_S <= now) this.reap(now);
    if (!this.test(id, time)) return false;
    this.add(id, time, now);
    return true;
  }

  /** OpenVPN's `packet_id_test`: would `(id, time)` be accepted? Does not change state. */
  test(id: number, time: number): boolean {
    if (id === 0) return false;
    if (time === this.time) {
      if (id > this.id) return true;
      const diff = this.id - id;
      if (diff > this.maxBacktrack) this.maxBacktrack = diff;
      if (diff >= this.size) return false;
      return this.item(diff) === SEQ_UNSEEN;
    }
    // A time that goes back is rejected; a later time starts a new sequence.
    return time > this.time;
  }

  /** OpenVPN's `packet_id_add`. */
  private add(id: number, time: number, now: number): void {
    const n = this.ring.length;
    if (this.size === 0 || time > this.time || (id >= n && id - n > this.id)) {
      this.time = time;
      this.id = id > n ? id - n : 0;
      this.size = 0;
      this.head = 0;
    }
    while (this.id < id) {
      this.push(SEQ_UNSEEN);
      this.id++;
    }
    const diff = this.id - id;
    if (diff < this.size && now > SEQ_EXPIRED) this.setItem(diff, now);
  }

  /** OpenVPN's `packet_id_reap`: expire entries that would violate the time backtrack. */
  private reap(now: number): void {
    if (this.backtrackSeconds > 0) {
      let expire = false;
      for (let i = 0; i < this.size; i++) {
        const t = this.item(i);
        if (t === SEQ_EXPIRED) break;
        if (!expire && t !== SEQ_UNSEEN && t + this.backtrackSeconds < now) expire = true;
        if (expire) this.setItem(i, SEQ_EXPIRED);
      }
    }
    this.lastReapS = now;
  }
}
