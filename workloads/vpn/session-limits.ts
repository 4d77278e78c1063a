/**
 * Admission limits of the TLS-mode server (./tls-server.ts); every refusal is counted there.
 *
 * - `handshakesPerSource`: clients with state whose session is not established yet, per source
 *   address (any port) — one host cannot hold all handshake slots.
 * - `sessions`: clients with state in all (the tunnel and the handshakes in progress; OpenVPN's
 *   --max-clients plays this role for established ones).
 * - `resetRepliesPerSecond`: stateless cookie replies to hard resets, over all sources (OpenVPN's
 *   --connect-freq-initial, 100 per 10 s by default): bounds what a spoofed flood can reflect.
 */
export interface SessionLimits {
  handshakesPerSource: number;
  sessions: number;
  resetRepliesPerSecond: number;
}

export const DEFAULT_SESSION_LIMITS: Readonly<SessionLimits> = { handshakesPerSource: 4, sessions: 64, resetRepliesPerSecond: 10 };

/** A token bucket holding one second's worth of replies, refilled continuously. */
export class ResetRateLimiter {
  private tokens: number;
  private lastMs = -Infinity;

  constructor(private readonly perSecond: number) {
    this.tokens = perSecond;
  }

  /** Takes one reply at `nowMs` (ms, monotonic); false when the bucket is empty. */
  take(nowMs: number): boolean {
    if (this.lastMs !== -Infinity) this.tokens = Math.min(this.perSecond, this.tokens + ((nowMs - this.lastMs) * this.perSecond) / 1000);
    this.lastMs = nowMs;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
