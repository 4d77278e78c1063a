/**
 * OpenVPN's reliability layer for the control channel (reliable.c, ssl.c): every control message
 * carries a packet id (0, 1, 2 … per direction and key), the receiver acknowledges each id it gets
 * (piggybacked on its own control packets, or in a P_ACK_V1), delivers messages in id order and
 * buffers those that arrive early within its window; the sender keeps at most `sendWindow`
 * unacknowledged messages in flight and retransmits each on a timer that doubles per try.
 *
 * Time is injected: `tick(nowMs)` runs the retransmission timers, so tests drive loss and delay
 * with a fake clock. Nothing here throws on wire input: duplicates, ids outside the window and acks
 * for unknown ids are counted in `counters`.
 *
 * The control path allocates one array per packet it writes (the handshake path, like stack/tls's,
 * is not strategy-exact; only the data channel is).
 */
import { controlPacketBytes, encodeControlPacketInto, type ControlPacket } from './control-packet.js';
import { MAX_ACKS_PER_PACKET, P_ACK_V1 } from './wire.js';

export interface ReliableOptions {
  /** Our session id and the peer's (8 bytes each). */
  sessionId: Uint8Array;
  remoteSessionId: Uint8Array;
  keyId: number;
  /** Whole control datagrams out (the array is the callee's to keep). */
  output: (packet: Uint8Array) => void;
  /** Messages delivered in packet-id order; `payload` is a view valid only during the call. */
  deliver: (opcode: number, payload: Uint8Array) => void;
  /** Unacknowledged messages in flight (OpenVPN's send buffers). Default 4. */
  sendWindow?: number;
  /** Ids accepted ahead of the next expected one (OpenVPN's receive buffers). Default 8. */
  receiveWindow?: number;
  /** First retransmission timeout; doubles per try up to `maxRetransmitMs`. Defaults 1000 / 8000 ms. */
  initialRetransmitMs?: number;
  maxRetransmitMs?: number;
  /**
   * The first message id in each direction (default 0). 1 when the resets (id 0 both ways) were
   * exchanged before this channel existed: the server's stateless HMAC-cookie reset (./session-cookie.ts).
   */
  firstMessageId?: number;
}

export interface ReliableCounters {
  messagesSent: number;
  retransmissions: number;
  messagesDelivered: number;
  acksSent: number;
  /** Standalone P_ACK_V1 packets (acks that found no outgoing message to ride on). */
  ackPacketsSent: number;
  acksReceived: number;
  /** Acks for ids not in flight (already acked, or never sent): ignored. */
  acksUnknown: number;
  /** Messages received again (already delivered or buffered): acked again, not delivered. */
  duplicates: number;
  /** Messages beyond the receive window: dropped unacked (the sender retransmits). */
  outOfWindow: number;
}

interface InFlight {
  packetId: number;
  opcode: number;
  payload: Uint8Array;
  dueMs: number;
  intervalMs: number;
}

export class ReliableChannel {
  readonly counters: ReliableCounters = {
    messagesSent: 0,
    retransmissions: 0,
    messagesDelivered: 0,
    acksSent: 0,
    ackPacketsSent: 0,
    acksReceived: 0,
    acksUnknown: 0,
    duplicates: 0,
    outOfWindow: 0,
  };
  private readonly sendWindow: number;
  private readonly receiveWindow: number;
  private readonly initialRetransmitMs: number;
  private readonly maxRetransmitMs: number;
  private nextSendId = 0;
  private readonly waiting: { opcode: number; payload: Uint8Array }[] = [];
  private readonly inFlight: InFlight[] = [];
  private nextExpectedId = 0;
  private readonly early = new Map<number, { opcode: number; payload: Uint8Array }>();
  private readonly pendingAcks: number[] = [];

  constructor(private readonly o: ReliableOptions) {
    this.sendWindow = o.sendWindow ?? 4;
    this.receiveWindow = o.receiveWindow ?? 8;
    this.initialRetransmitMs = o.initialRetransmitMs ?? 1000;
    this.maxRetransmitMs = o.maxRetransmitMs ?? 8000;
    this.nextSendId = o.firstMessageId ?? 0;
    this.nextExpectedId = o.firstMessageId ?? 0;
  }

  /** Messages queued or in flight (0 once the peer acknowledged everything). */
  get unacknowledged(): number {
    return this.waiting.length + this.inFlight.length;
  }

  /** Queues a message; `flush(nowMs)` sends it once the window allows. Keeps `payload`. */
  send(opcode: number, payload: Uint8Array): void {
    this.waiting.push({ opcode, payload });
  }

  /**
   * Takes one decoded control packet of this session (the caller checked the session id):
   * processes its acks, and for a message packet acks it and delivers what is now in order.
   * `buf` is the datagram the packet was decoded from.
   */
  receive(p: ControlPacket, buf: Uint8Array): void {
    for (const id of p.acks) this.onAck(id);
    if (p.opcode === P_ACK_V1) return;
    const id = p.packetId;
    const ahead = (id - this.nextExpectedId) >>> 0;
    if (ahead >= 0x8000_0000) {
      // Already delivered: the peer missed our ack; ack again.
      this.counters.duplicates++;
      this.queueAck(id);
      return;
    }
    if (ahead >= this.receiveWindow) {
      this.counters.outOfWindow++;
      return;
    }
    this.queueAck(id);
    if (ahead > 0) {
      if (this.early.has(id)) this.counters.duplicates++;
      else this.early.set(id, { opcode: p.opcode, payload: buf.slice(p.payloadStart, p.payloadEnd) });
      return;
    }
    this.nextExpectedId = (this.nextExpectedId + 1) >>> 0;
    this.counters.messagesDelivered++;
    this.o.deliver(p.opcode, buf.subarray(p.payloadStart, p.payloadEnd));
    for (let next = this.early.get(this.nextExpectedId); next !== undefined; next = this.early.get(this.nextExpectedId)) {
      this.early.delete(this.nextExpectedId);
      this.nextExpectedId = (this.nextExpectedId + 1) >>> 0;
      this.counters.messagesDelivered++;
      this.o.deliver(next.opcode, next.payload);
    }
  }

  /** Sends what the window allows (with pending acks piggybacked), then any acks left over. */
  flush(nowMs: number): void {
    while (this.waiting.length > 0 && this.inFlight.length < this.sendWindow) {
      const m = this.waiting.shift()!;
      const f: InFlight = { packetId: this.nextSendId, opcode: m.opcode, payload: m.payload, dueMs: nowMs + this.initialRetransmitMs, intervalMs: this.initialRetransmitMs };
      this.nextSendId = (this.nextSendId + 1) >>> 0;
      this.inFlight.push(f);
      this.counters.messagesSent++;
      this.write(f);
    }
    while (this.pendingAcks.length > 0) this.write(null);
  }

  /** Retransmits every message whose timer expired (reliable_send_timeout), then flushes. */
  tick(nowMs: number): void {
    for (const f of this.inFlight) {
      if (f.dueMs > nowMs) continue;
      f.intervalMs = Math.min(f.intervalMs * 2, this.maxRetransmitMs);
      f.dueMs = nowMs + f.intervalMs;
      this.counters.retransmissions++;
      this.write(f);
    }
    this.flush(nowMs);
  }

  private onAck(id: number): void {
    this.counters.acksReceived++;
    const i = this.inFlight.findIndex((f) => f.packetId === id);
    if (i < 0) {
      this.counters.acksUnknown++;
      return;
    }
    this.inFlight.splice(i, 1);
  }

  private queueAck(id: number): void {
    if (!this.pendingAcks.includes(id)) this.pendingAcks.push(id);
  }

  /** Writes one packet: message `f` (or a P_ACK_V1 when null) with up to 8 pending acks. */
  private write(f: InFlight | null): void {
    const acks = this.pendingAcks.splice(0, MAX_ACKS_PER_PACKET);
    const opcode = f === null ? P_ACK_V1 : f.opcode;
    const payload = f === null ? EMPTY : f.payload;
    const out = new Uint8Array(controlPacketBytes(opcode, acks.length, payload.length));
    encodeControlPacketInto({ opcode, keyId: this.o.keyId, sessionId: this.o.sessionId, acks, remoteSessionId: this.o.remoteSessionId, packetId: f?.packetId ?? 0, payload }, out, 0);
    this.counters.acksSent += acks.length;
    if (f === null) this.counters.ackPacketsSent++;
    this.o.output(out);
  }
}

const EMPTY = new Uint8Array(0);
