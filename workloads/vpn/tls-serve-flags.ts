/**
 * The TLS-mode server's hardening flags of `npm run serve -- vpn --tls` (renegotiation limits,
 * --tls-crypt-v2, admission limits) and the part of the status line that reports them; kept apart
 * from ./serve.ts so that file only routes to them.
 */
import type { FlagReader } from '../serve-flags.js';
import type { RenegotiationLimits } from './reneg-policy.js';
import type { SessionLimits } from './session-limits.js';
import type { VpnTlsServer } from './tls-server.js';

export interface TlsHardeningOptions {
  renegotiation: Partial<RenegotiationLimits>;
  limits: Partial<SessionLimits>;
  /** `--tls-crypt-v2 FILE`: the server key file. */
  tlsCryptV2File: string | null;
}

export const TLS_HARDENING_HELP = `  --tls-crypt-v2 FILE  a tls-crypt-v2 server key (openvpn --genkey tls-crypt-v2-server FILE); each
                    client needs a client key made from it (openvpn --tls-crypt-v2 FILE --genkey
                    tls-crypt-v2-client CLIENT.key); keys the server did not issue are dropped
  --reneg-sec N     we renegotiate a key N s old (default 3600; 0 = never)
  --reneg-bytes N   … or once it carried N data-channel bytes (default 0 = no limit)
  --reneg-pkts N    … or N data-channel packets (default 0 = no limit)
  --tran-window N   the previous key is still accepted N s after a new one (default 3600)
  --max-handshakes-per-source N  clients in handshake from one address (default 4)
  --max-sessions N  clients with state in all, tunnel and handshakes (default 64)
  --max-reset-replies N  stateless replies to hard resets per second (default 10)`;

export function emptyTlsHardeningOptions(): TlsHardeningOptions {
  return { renegotiation: {}, limits: {}, tlsCryptV2File: null };
}

/** Reads `flag` if it is one of ours (true), else leaves it (false). Range errors come from `flags`. */
export function readTlsHardeningFlag(flag: string, flags: FlagReader, o: TlsHardeningOptions): boolean {
  switch (flag) {
    case '--tls-crypt-v2':
      o.tlsCryptV2File = flags.value();
      return true;
    case '--reneg-sec':
      o.renegotiation.seconds = flags.int(0, 604_800);
      return true;
    case '--reneg-bytes':
      o.renegotiation.bytes = flags.int(0, Number.MAX_SAFE_INTEGER);
      return true;
    case '--reneg-pkts':
      o.renegotiation.packets = flags.int(0, Number.MAX_SAFE_INTEGER);
      return true;
    case '--tran-window':
      o.renegotiation.transitionWindowS = flags.int(1, 604_800);
      return true;
    case '--max-handshakes-per-source':
      o.limits.handshakesPerSource = flags.int(1, 1_000_000);
      return true;
    case '--max-sessions':
      o.limits.sessions = flags.int(1, 1_000_000);
      return true;
    case '--max-reset-replies':
      o.limits.resetRepliesPerSecond = flags.int(1, 1_000_000);
      return true;
    default:
      return false;
  }
}

/** True when any hardening flag was given (they belong to TLS mode). */
export function anyTlsHardening(o: TlsHardeningOptions): boolean {
  return o.tlsCryptV2File !== null || Object.keys(o.renegotiation).length > 0 || Object.keys(o.limits).length > 0;
}

/** The status line's renegotiation, handshake and drop counters of the hardening features. */
export function tlsHardeningStatus(server: VpnTlsServer): string {
  const c = server.counters;
  const d = server.dataStats;
  return (
    `; handshakes in progress ${server.handshakesInProgress}; server renegotiations ${c.renegotiationsByServer} (by-sec ${c.renegotiationReasons.seconds} by-bytes ${c.renegotiationReasons.bytes} by-pkts ${c.renegotiationReasons.packets}) lame ducks expired ${c.lameDucksExpired}; ` +
    `stateless resets ${c.statelessResets}; drops reset-replayed ${c.resetReplayed} cookie-invalid ${c.cookieInvalid} limit per-source ${c.limitHandshakesPerSource} limit sessions ${c.limitSessions} limit reset-rate ${c.limitResetRate} ` +
    `tls-crypt-v2 bad-wkc ${c.tlsCryptV2BadWkc} no-early-neg ${c.tlsCryptV2NoEarlyNeg} data bad-key-id ${d.badKeyId} bad-peer-id ${d.badPeerId} too-short ${d.tooShort}`
  );
}
