/**
 * When the server starts a renegotiation (OpenVPN ssl.c `tls_process_state`, options `--reneg-sec`,
 * `--reneg-bytes`, `--reneg-pkts`): a key is renegotiated once it is `seconds` old, or has carried
 * `bytes` data-channel bytes or `packets` data-channel packets (both directions, as `ks->n_bytes` /
 * `ks->n_packets` count them). 0 disables a limit. OpenVPN's defaults: 3600 s, no byte or packet limit.
 * The key it replaces stays valid for receiving for `--tran-window` (default 3600 s).
 */
export interface RenegotiationLimits {
  seconds: number;
  bytes: number;
  packets: number;
  /** --tran-window: how long the previous key is still accepted after a new one is installed (s). */
  transitionWindowS: number;
}

export const DEFAULT_RENEGOTIATION_LIMITS: Readonly<RenegotiationLimits> = { seconds: 3600, bytes: 0, packets: 0, transitionWindowS: 3600 };

/** The usage of the current key and the limit it reached first; one per tunnel. */
export class RenegotiationPolicy {
  private keyStartMs = 0;
  private bytes = 0;
  private packets = 0;

  constructor(private readonly limits: Readonly<RenegotiationLimits>) {}

  /** A new key was installed at `nowMs`: its usage starts at zero. */
  newKey(nowMs: number): void {
    this.keyStartMs = nowMs;
    this.bytes = 0;
    this.packets = 0;
  }

  /** One data-channel packet of `bytes` (on the wire) sent or received with the current key. */
  count(bytes: number): void {
    this.bytes += bytes;
    this.packets++;
  }

  /** The limit the current key reached ('seconds', 'bytes', 'packets'), or null. */
  due(nowMs: number): 'seconds' | 'bytes' | 'packets' | null {
    const l = this.limits;
    if (l.seconds > 0 && nowMs - this.keyStartMs >= l.seconds * 1000) return 'seconds';
    if (l.bytes > 0 && this.bytes >= l.bytes) return 'bytes';
    if (l.packets > 0 && this.packets >= l.packets) return 'packets';
    return null;
  }
}
