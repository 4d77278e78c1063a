/**
 * `npx tsx scripts/soak/idle-clients.ts --port P [--raw N] [--tls M] [--hold-ms T] [--concurrency C]`:
 * holds idle connections open against `serve tls` on 127.0.0.1 and reports how the server closed
 * them — the abuse half of the idle-connection soak (the other half, a download that must still
 * work, is run beside it by the caller).
 *
 * - `--raw N`: plain TCP connections that never send a byte (a slowloris that never starts its
 *   handshake): the proxy's handshake timeout must close them.
 * - `--tls M`: node:tls connections that complete the TLS 1.3 handshake and then stay silent: the
 *   idle timeout must close them.
 *
 * Prints `opened raw=N tls=M` once every connection is up (or refused), then one JSON line with
 * {@link IdleReport} when every connection has closed or `--hold-ms` has passed (the rest are then
 * closed by us and counted as `stillOpen`). Runs as a process of its own so that its sockets count
 * against its own file-descriptor limit, not the test runner's.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export interface IdleKindReport {
  /** Connections that reached the state we hold them in (TCP open; TLS handshake done). */
  opened: number;
  /** Connections that failed to open (refused, reset during the handshake). */
  failed: number;
  /** Closed by the server while we held them. */
  closedByServer: number;
  /** Milliseconds from open to the server's close: median and max (null when none closed). */
  closeMsP50: number | null;
  closeMsMax: number | null;
  /** Still open when `--hold-ms` ended. */
  stillOpen: number;
}

export interface IdleReport {
  raw: IdleKindReport;
  tls: IdleKindReport;
}

interface Held {
  socket: Socket;
  openedAtMs: number;
  closedAtMs: number | null;
}

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : dflt;
  if (!Number.isInteger(v) || v < 0) throw new Error(`--${name} ${process.argv[i + 1]}: expected a non-negative integer`);
  return v;
}

/** Opens one connection of `kind`; resolves with it once open, or null when it failed. */
function open(kind: 'raw' | 'tls', port: number): Promise<Held | null> {
  return new Promise((resolve) => {
    const h: Held = { socket: null as unknown as Socket, openedAtMs: 0, closedAtMs: null };
    let settled = false;
    const done = (v: Held | null): void => {
      if (settled) return;
      settled = true;
      resolve(v);
    };
    const s =
      kind === 'raw'
        ? netConnect({ host: '127.0.0.1', port }, () => {
            h.openedAtMs = performance.now();
            done(h);
          })
        : tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false, minVersion: 'TLSv1.3' }, () => {
            h.openedAtMs = performance.now();
            done(h);
          });
    h.socket = s;
    // A reset from the server is how a closed idle connection often ends: an expected outcome.
    s.on('error', () => undefined);
    s.on('close', () => {
      if (!settled) return done(null);
      h.closedAtMs = performance.now();
    });
  });
}

async function openMany(kind: 'raw' | 'tls', count: number, port: number, concurrency: number): Promise<{ held: Held[]; failed: number }> {
  const held: Held[] = [];
  let failed = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      next++;
      const h = await open(kind, port);
      if (h === null) failed++;
      else held.push(h);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { held, failed };
}

function report(held: Held[], failed: number): IdleKindReport {
  const closeMs = held.filter((h) => h.closedAtMs !== null).map((h) => h.closedAtMs! - h.openedAtMs);
  closeMs.sort((a, b) => a - b);
  return {
    opened: held.length,
    failed,
    closedByServer: closeMs.length,
    closeMsP50: closeMs.length === 0 ? null : Math.round(closeMs[Math.floor(closeMs.length / 2)]!),
    closeMsMax: closeMs.length === 0 ? null : Math.round(closeMs[closeMs.length - 1]!),
    stillOpen: held.length - closeMs.length,
  };
}

async function main(): Promise<void> {
  const port = arg('port', 0);
  if (port === 0) throw new Error('--port P is required (the serve tls port)');
  const holdMs = arg('hold-ms', 10_000);
  const concurrency = arg('concurrency', 32);
  const raw = await openMany('raw', arg('raw', 0), port, concurrency);
  const tls = await openMany('tls', arg('tls', 0), port, concurrency);
  console.log(`opened raw=${raw.held.length} tls=${tls.held.length}`);
  const all = [...raw.held, ...tls.held];
  const deadline = performance.now() + holdMs;
  while (performance.now() < deadline && all.some((h) => h.closedAtMs === null)) await new Promise((r) => setTimeout(r, 50));
  const r: IdleReport = { raw: report(raw.held, raw.failed), tls: report(tls.held, tls.failed) };
  for (const h of all) h.socket.destroy();
  console.log(JSON.stringify(r));
}

if (process.argv[1]?.endsWith('idle-clients.ts')) await main();
