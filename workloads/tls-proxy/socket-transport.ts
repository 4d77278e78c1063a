/**
 * Runs a `TlsConnection` over a node:net byte stream (the kernel does TCP; only our TLS layer runs
 * here). Records go out with one counted copy into a Buffer node may keep (`socket.write` holds it
 * until flushed); bytes in are handed to `receive` as they arrive.
 */
import type { Socket } from 'node:net';
import type { BufferStrategy } from '../../allocators/buffer-strategy.js';
import { TlsConnection, type TlsCloseInfo, type TlsConfig } from '../../stack/tls/connection.js';

export interface SocketTlsHandlers {
  onData: (buf: Uint8Array, start: number, end: number) => void;
  onHandshakeDone?: () => void;
  /** Peer close_notify or an alert either way (see `TlsCloseInfo`). */
  onClose?: (info: TlsCloseInfo) => void;
  /** The socket closed (after whatever TLS did). */
  onSocketClose?: (hadError: boolean) => void;
}

export function attachTls(socket: Socket, config: TlsConfig, strategy: BufferStrategy, h: SocketTlsHandlers): TlsConnection {
  const conn: TlsConnection = new TlsConnection(config, {
    strategy,
    output: (buf, start, end) => {
      if (socket.destroyed) return;
      // socket.write may hold the bytes until flushed: hand it its own copy, counted (a foreign
      // Buffer plus one strategy copy), as workloads/vpn/udp-endpoint.ts does for dgram.
      const out = Buffer.allocUnsafe(end - start);
      strategy.countForeign(out.length);
      strategy.copy(buf, start, end, out, 0);
      socket.write(out);
    },
    onData: h.onData,
    onHandshakeDone: h.onHandshakeDone,
    onClose: (info) => {
      h.onClose?.(info);
      // After a fatal alert (sent or received) nothing more will be read or written: flush and end.
      if (info.alert !== 0) socket.end();
    },
  });
  socket.on('data', (chunk: Buffer) => {
    // node:net hands each chunk in a Buffer of its own: a foreign allocation, counted apart.
    strategy.countForeign(chunk.length);
    conn.receive(chunk, 0, chunk.length);
  });
  socket.on('close', (hadError) => {
    conn.dispose();
    h.onSocketClose?.(hadError);
  });
  return conn;
}
