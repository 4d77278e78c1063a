/**
 * Runs a `TlsConnection` over a node:net byte stream (the kernel does TCP; only our TLS layer runs
 * here).
 *
 * Out: records go out with one counted copy into a Buffer node may keep (`socket.write` holds it
 * until flushed). `SocketTls.write` gathers all the records of one application write in one Buffer
 * sized exactly (`TlsConnection.protectedBytesFor`) and hands it to the socket in one `write`: one
 * foreign allocation and one trip through node's stream machinery per write instead of per record.
 *
 * In: bytes are handed to `receive` as they arrive. With `onDataOwned`, the plaintext of all the
 * records one TCP chunk completes is gathered (one counted copy per record) in one Buffer the handler
 * owns and may keep (a proxy passes it straight to the next socket); without it, `onData` gets each
 * record's plaintext in place, valid only during the call.
 */
import type { Socket } from 'node:net';
import type { BufferStrategy } from '../../allocators/buffer-strategy.js';
import { TlsConnection, type TlsCloseInfo, type TlsConfig } from '../../stack/tls/connection.js';
import type { CryptoBackend } from '../../stack/crypto/crypto-backend.js';

/**
 * Reusable Buffers for what is handed to node's sockets: a Buffer goes back once the socket's write
 * callback says the kernel has the bytes, so a steady bulk transfer allocates none (node:net needs a
 * Buffer it may hold until flushed, and each fresh 64 KiB Buffer is external memory that drives
 * garbage collections). One size class; larger requests get a Buffer of their own, never pooled.
 */
export class SocketBufferPool {
  static readonly BUFFER_BYTES = 96 * 1024;
  private readonly free: Buffer[] = [];
  /** Buffers created (pooled class or oversize); each is counted as foreign by `take`'s caller. */
  created = 0;
  reused = 0;

  constructor(readonly maxFree = 16) {}

  /** A Buffer of at least `bytes` (its `length` may be larger: use a prefix). */
  take(bytes: number): Buffer {
    if (bytes <= SocketBufferPool.BUFFER_BYTES) {
      const b = this.free.pop();
      if (b !== undefined) {
        this.reused++;
        return b;
      }
      this.created++;
      return Buffer.allocUnsafeSlow(SocketBufferPool.BUFFER_BYTES);
    }
    this.created++;
    return Buffer.allocUnsafeSlow(bytes);
  }

  /** Gives `buf` (from `take`, no longer referenced by anyone) back. */
  give(buf: Buffer): void {
    if (buf.length === SocketBufferPool.BUFFER_BYTES && this.free.length < this.maxFree) this.free.push(buf);
  }
}

export interface SocketTlsHandlers {
  /** Each record's plaintext in place (valid only during the call). Not called when `onDataOwned` is set. */
  onData?: (buf: Uint8Array, start: number, end: number) => void;
  /**
   * All the plaintext the latest TCP chunk completed, in a Buffer the handler holds until it calls
   * `release` (e.g. as the callback of `otherSocket.write(data, release)`; never calling it is fine,
   * the Buffer is then simply not reused). Delivered before any `onClose` the same chunk causes, so
   * nothing is lost at a close_notify.
   */
  onDataOwned?: (data: Buffer, release: () => void) => void;
  onHandshakeDone?: () => void;
  /** Peer close_notify or an alert either way (see `TlsCloseInfo`). */
  onClose?: (info: TlsCloseInfo) => void;
  /** The socket closed (after whatever TLS did). */
  onSocketClose?: (hadError: boolean) => void;
}

export interface SocketTlsOptions {
  /**
   * Strategy of the connection's long-lived record buffer (default: the record strategy). Give
   * `one-big-struct` an instance of its own: its ring is reclaimed oldest-first, so a buffer that
   * lives as long as the connection would pin it (see TlsEndpointOptions.bufferStrategy).
   */
  bufferStrategy?: BufferStrategy;
  /** Where the Buffers handed to sockets come from (share one per server); default: one per connection. */
  pool?: SocketBufferPool;
  /** Crypto backend of the record layer (default: the connection's, node). */
  backend?: CryptoBackend;
}

export interface SocketTls {
  conn: TlsConnection;
  /**
   * Sends `buf[start, end)` as application data records in one socket write. Returns what
   * `socket.write` returned (false: the socket's buffer is full, wait for 'drain'); false also when
   * the socket is already destroyed.
   */
  write(buf: Uint8Array, start: number, end: number): boolean;
}

export function attachSocketTls(socket: Socket, config: TlsConfig, strategy: BufferStrategy, h: SocketTlsHandlers, o: SocketTlsOptions = {}): SocketTls {
  /** Records of the current `SocketTls.write`, gathered here (null outside one). */
  let outBatch: Buffer | null = null;
  let outLen = 0;
  /** Plaintext of the current TCP chunk (only with `onDataOwned`), allocated at the first record. */
  let inBatch: Buffer | null = null;
  let inLen = 0;
  let inLimit = 0;
  let inLength = 0;
  let outLength = 0;
  const pool = o.pool ?? new SocketBufferPool(4);
  const take = (bytes: number): Buffer => {
    const before = pool.created;
    const b = pool.take(bytes);
    if (pool.created !== before) strategy.countForeign(b.length);
    return b;
  };
  const flushIn = (): void => {
    const batch = inBatch;
    if (batch === null) return;
    const data = batch.subarray(0, inLen);
    inBatch = null;
    inLen = 0;
    let released = false;
    h.onDataOwned!(data, () => {
      if (released) return;
      released = true;
      pool.give(batch);
    });
  };
  const flushOut = (): void => {
    const batch = outBatch;
    if (batch === null) return;
    const n = outLen;
    outBatch = null;
    outLen = 0;
    if (n === 0 || socket.destroyed) pool.give(batch);
    // The write callback runs once the bytes left node (or the write failed): either way the
    // socket no longer reads the Buffer.
    else socket.write(batch.subarray(0, n), () => pool.give(batch));
  };
  const owned = h.onDataOwned !== undefined;
  const conn: TlsConnection = new TlsConnection(config, {
    strategy,
    ...(o.bufferStrategy ? { bufferStrategy: o.bufferStrategy } : {}),
    ...(o.backend ? { backend: o.backend } : {}),
    output: (buf, start, end) => {
      if (socket.destroyed) return;
      const n = end - start;
      if (outBatch !== null) {
        if (outLen + n <= outLength) {
          strategy.copy(buf, start, end, outBatch, outLen);
          outLen += n;
          return;
        }
        // More than `protectedBytesFor` promised (it does not happen; kept correct regardless):
        // what is gathered goes first, in order.
        flushOut();
      }
      // socket.write may hold the bytes until flushed: hand it its own copy, counted (a foreign
      // Buffer plus one strategy copy), as workloads/vpn/udp-endpoint.ts does for dgram.
      const out = Buffer.allocUnsafe(n);
      strategy.countForeign(n);
      strategy.copy(buf, start, end, out, 0);
      socket.write(out);
    },
    onData: owned
      ? (buf, start, end) => {
          const n = end - start;
          if (inBatch !== null && inLen + n > inLength) flushIn(); // cannot happen (see inLimit); kept correct
          if (inBatch === null) {
            inLength = Math.max(inLimit, n);
            inBatch = take(inLength);
          }
          strategy.copy(buf, start, end, inBatch, inLen);
          inLen += n;
        }
      : (buf, start, end) => h.onData?.(buf, start, end),
    onHandshakeDone: h.onHandshakeDone,
    onClose: (info) => {
      if (owned) flushIn();
      h.onClose?.(info);
      // After a fatal alert (sent or received) nothing more will be read or written: flush and end.
      if (info.alert !== 0) socket.end();
    },
  });
  socket.on('data', (chunk: Buffer) => {
    // node:net hands each chunk in a Buffer of its own: a foreign allocation, counted apart.
    strategy.countForeign(chunk.length);
    // Plaintext out of this chunk is at most the ciphertext held back plus the chunk.
    inLimit = conn.bufferedBytes + chunk.length;
    conn.receive(chunk, 0, chunk.length);
    if (owned) flushIn();
  });
  socket.on('close', (hadError) => {
    conn.dispose();
    h.onSocketClose?.(hadError);
  });
  return {
    conn,
    write(buf, start, end) {
      if (socket.destroyed) return false;
      outLength = conn.protectedBytesFor(end - start);
      outBatch = take(outLength);
      outLen = 0;
      try {
        conn.write(buf, start, end);
      } finally {
        flushOut();
      }
      return !socket.writableNeedDrain;
    },
  };
}

/** `attachSocketTls` for callers that only need the connection (writes record by record). */
export function attachTls(socket: Socket, config: TlsConfig, strategy: BufferStrategy, h: SocketTlsHandlers, o: SocketTlsOptions = {}): TlsConnection {
  return attachSocketTls(socket, config, strategy, h, o).conn;
}
