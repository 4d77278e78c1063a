import { X509Certificate } from 'node:crypto';
import type { BufferStrategy } from '../../../allocators/buffer-strategy.js';
import type { CryptoBackend } from '../../../stack/crypto/crypto-backend.js';
import { loadServerCredentials } from '../../../stack/tls/certificates.js';
import { TlsConnection, type TlsClientConfig, type TlsCloseInfo, type TlsServerConfig } from '../../../stack/tls/connection.js';
import type { TestKeyType, TestPki } from './test-pki.js';

/** One side of an in-memory pair: what it received and how it closed. */
export interface Side {
  conn: TlsConnection;
  received: number[];
  closes: TlsCloseInfo[];
  handshakeDone: boolean;
  /** Records this side sent that are not yet delivered (copies). */
  queue: Uint8Array[];
}

export interface Pair {
  client: Side;
  server: Side;
  /** Delivers queued records both ways until both queues are empty; `mangle` may alter records in flight. */
  pump(mangle?: (from: 'client' | 'server', rec: Uint8Array, index: number) => Uint8Array | null): void;
}

export interface PairOptions {
  pki: TestPki;
  keyType?: TestKeyType;
  clientStrategy: BufferStrategy;
  serverStrategy: BufferStrategy;
  client?: Partial<TlsClientConfig>;
  server?: Partial<TlsServerConfig>;
  /** Deliver in chunks of this many bytes (default: whole records). */
  chunkBytes?: number;
  /** Crypto backends of the record layer (default: the connection's, node). */
  clientBackend?: CryptoBackend;
  serverBackend?: CryptoBackend;
}

function side(): Omit<Side, 'conn'> {
  return { received: [], closes: [], handshakeDone: false, queue: [] };
}

export function makePair(o: PairOptions): Pair {
  const cs = side() as Side;
  const ss = side() as Side;
  const keyType = o.keyType ?? 'ec';
  cs.conn = new TlsConnection(
    { role: 'client', serverName: 'localhost', ca: [new X509Certificate(o.pki.caPem)], ...o.client },
    {
      strategy: o.clientStrategy,
      ...(o.clientBackend === undefined ? {} : { backend: o.clientBackend }),
      output: (b, s, e) => void cs.queue.push(b.slice(s, e)),
      onData: (b, s, e) => void cs.received.push(...b.subarray(s, e)),
      onHandshakeDone: () => void (cs.handshakeDone = true),
      onClose: (i) => void cs.closes.push(i),
    },
  );
  ss.conn = new TlsConnection(
    { role: 'server', credentials: loadServerCredentials(o.pki.server[keyType].certPem, o.pki.server[keyType].keyPem), ...o.server },
    {
      strategy: o.serverStrategy,
      ...(o.serverBackend === undefined ? {} : { backend: o.serverBackend }),
      output: (b, s, e) => void ss.queue.push(b.slice(s, e)),
      onData: (b, s, e) => void ss.received.push(...b.subarray(s, e)),
      onHandshakeDone: () => void (ss.handshakeDone = true),
      onClose: (i) => void ss.closes.push(i),
    },
  );
  let index = 0;
  const deliver = (from: Side, to: Side, name: 'client' | 'server', mangle?: Parameters<Pair['pump']>[0]): boolean => {
    const rec0 = from.queue.shift();
    if (rec0 === undefined) return false;
    const rec = mangle ? mangle(name, rec0, index++) : rec0;
    if (rec === null || to.conn.isClosed) return true;
    const step = o.chunkBytes ?? rec.length;
    for (let at = 0; at < rec.length; at += step) to.conn.receive(rec, at, Math.min(rec.length, at + step));
    return true;
  };
  return {
    client: cs,
    server: ss,
    pump(mangle) {
      for (let guard = 0; guard < 10_000; guard++) {
        const a = deliver(cs, ss, 'client', mangle);
        const b = deliver(ss, cs, 'server', mangle);
        if (!a && !b) return;
      }
      throw new Error('pump: no quiescence after 10000 records');
    },
  };
}
