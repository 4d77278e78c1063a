/**
 * A small HTTP/1.1 server (RFC 9112) on the project's TCP for the host inside the tunnel:
 * `GET /bytes/N` answers N bytes whose byte i is i mod 256 (`Content-Length: N`), anything else a
 * 404; connections are kept alive (RFC 9112 §9.3) unless the request says `Connection: close`.
 * Requests are read up to the blank line; a request head above `MAX_HEAD_BYTES` is answered 431 and
 * the connection closed. Bodies of requests are not supported (a request with Content-Length or
 * Transfer-Encoding is answered 400 and closed).
 *
 * The body is written from a fixed pattern buffer (65536 + 256 bytes of i mod 256) as the send
 * buffer frees up (`onWritable`), so a 10 MiB answer needs no 10 MiB buffer.
 */
import type { TcpConnection, TcpHandlers } from '../../stack/tcp/connection.js';
import type { TcpLayer } from '../../stack/tcp/layer.js';

export const MAX_HEAD_BYTES = 8192;
/** The largest N served (1 GiB): larger asks are a 400, not an hour of traffic. */
export const MAX_BYTES_N = 1 << 30;
const PATTERN_SPAN = 65536;
const PATTERN = Uint8Array.from({ length: PATTERN_SPAN + 256 }, (_, i) => i & 0xff);

export interface BytesHttpCounters {
  connections: number;
  requests: number;
  bytesServed: number;
  notFound: number;
  badRequests: number;
}

/** Listens on `port` of `tcp`. */
export function serveBytesHttp(tcp: TcpLayer, port: number): BytesHttpCounters {
  const counters: BytesHttpCounters = { connections: 0, requests: 0, bytesServed: 0, notFound: 0, badRequests: 0 };
  tcp.listen(port, (conn) => {
    counters.connections++;
    return new BytesHttpConnection(conn, counters).handlers;
  });
  return counters;
}

class BytesHttpConnection {
  readonly handlers: TcpHandlers;
  private head = '';
  /** Body bytes still to write for the current response, and how many were written. */
  private bodyLeft = 0;
  private bodyAt = 0;
  private closeAfter = false;
  private closed = false;

  constructor(
    private readonly conn: TcpConnection,
    private readonly counters: BytesHttpCounters,
  ) {
    this.handlers = {
      onData: (b, s, e) => this.onData(b, s, e),
      onWritable: () => this.pumpBody(),
      onEnd: () => {
        if (this.bodyLeft === 0) this.finish();
        else this.closeAfter = true;
      },
      onClose: () => {
        this.closed = true;
      },
    };
  }

  private onData(b: Uint8Array, s: number, e: number): void {
    this.head += Buffer.from(b.subarray(s, e)).toString('latin1');
    this.serveQueued();
  }

  /** Answers complete request heads one at a time (pipelined requests wait for the body before). */
  private serveQueued(): void {
    while (!this.closed && this.bodyLeft === 0) {
      const endOfHead = this.head.indexOf('\r\n\r\n');
      if (endOfHead < 0) {
        if (this.head.length > MAX_HEAD_BYTES) this.respondError(431, 'Request Header Fields Too Large');
        return;
      }
      const lines = this.head.slice(0, endOfHead).split('\r\n');
      this.head = this.head.slice(endOfHead + 4);
      this.counters.requests++;
      const [method, target, version] = (lines[0] ?? '').split(' ');
      const headers = lines.slice(1).map((l) => l.toLowerCase());
      if (headers.some((h) => h.startsWith('content-length:') && h.slice(15).trim() !== '0') || headers.some((h) => h.startsWith('transfer-encoding:'))) {
        this.respondError(400, 'Bad Request');
        return;
      }
      // RFC 9112 §9.3: HTTP/1.1 persists unless "close"; HTTP/1.0 closes unless "keep-alive".
      const connection = headers.find((h) => h.startsWith('connection:'))?.slice(11).trim() ?? '';
      this.closeAfter = version === 'HTTP/1.0' ? connection !== 'keep-alive' : connection === 'close';
      const m = /^\/bytes\/(\d{1,10})$/.exec(target ?? '');
      if (method !== 'GET' || m === null) {
        this.counters.notFound++;
        this.respond(404, 'Not Found', 0);
        continue;
      }
      const n = Number(m[1]);
      if (n > MAX_BYTES_N) {
        this.respondError(400, 'Bad Request');
        return;
      }
      this.respond(200, 'OK', n);
    }
  }

  private respond(status: number, reason: string, bodyBytes: number): void {
    const head = `HTTP/1.1 ${status} ${reason}\r\nContent-Length: ${bodyBytes}\r\nContent-Type: application/octet-stream\r\n${this.closeAfter ? 'Connection: close\r\n' : ''}\r\n`;
    const h = Buffer.from(head, 'latin1');
    // The head is small; the send buffer (64 KiB) is empty or nearly so between responses.
    this.conn.write(h, 0, h.length);
    this.bodyLeft = bodyBytes;
    this.bodyAt = 0;
    this.pumpBody();
  }

  private respondError(status: number, reason: string): void {
    this.counters.badRequests++;
    this.closeAfter = true;
    this.respond(status, reason, 0);
  }

  private pumpBody(): void {
    while (this.bodyLeft > 0 && !this.closed) {
      const from = this.bodyAt & 0xff;
      const n = Math.min(this.bodyLeft, PATTERN_SPAN);
      const taken = this.conn.write(PATTERN, from, from + n);
      this.bodyAt += taken;
      this.bodyLeft -= taken;
      this.counters.bytesServed += taken;
      if (taken < n) return;
    }
    if (this.closed) return;
    if (this.closeAfter) this.finish();
    else this.serveQueued();
  }

  private finish(): void {
    if (!this.closed) this.conn.close();
  }
}
