/**
 * One TCP connection (RFC 9293 §3.3.2 state machine) of a `TcpLayer`.
 *
 * Done: three-way handshake (active and passive), MSS / window scale (RFC 7323 §2) / timestamps
 * (carried and echoed, RFC 7323 §3) / SACK-permitted and SACK options, segmentation at the
 * peer's MSS, sequence and acknowledgement numbers modulo 2^32, the peer's receive window (flow
 * control, zero-window probes), our receive window (`pause()` buffers in-order data in a receive
 * buffer and shrinks the window; `resume()` delivers it and sends a window update), FIN in both
 * directions with every closing state, RST (sent and received), TIME-WAIT shortened to
 * `timeWaitMs` for in-memory use, and retransmission with RFC 6298's RTO (Karn's algorithm, one
 * timed segment, exponential backoff; go-back-N from SND.UNA) plus fast retransmit on three
 * duplicate ACKs.
 *
 * Congestion control (RFC 5681): slow start from an initial window of 10 segments (RFC 6928),
 * congestion avoidance, cwnd = 1 segment after a timeout, and on three duplicate ACKs a fast
 * retransmit with cwnd = ssthresh (fast recovery without window inflation), then NewReno's
 * recovery (RFC 6582): until the ACK covers everything sent before the loss was seen (`recover`),
 * each partial ACK retransmits the next hole at once, so several segments lost from one window
 * cost a round trip each instead of a retransmission timeout each (≥ 200 ms of an idle link:
 * measured through the real tunnel with a 1 MiB send buffer, 5 timeouts in 100 MiB halved the
 * throughput).
 *
 * Out-of-order segments inside the window are kept (a copy, `strategy.retain`) until the gap is
 * filled; each one triggers a duplicate ACK.
 *
 * Sender-side silly window avoidance (RFC 9293 §3.8.6.2.1, `shortSegmentDue`): while data is in
 * flight, a segment shorter than the MSS waits unless it ends the queued data of a writer that is
 * not blocked, or fills half the peer's largest window.
 *
 * SACK (RFC 2018), when both SYNs offered it: ACKs carry the queued out-of-order blocks, and fast
 * recovery resends every hole the scoreboard shows (RFC 6675; `recoverySend`).
 *
 * Not done: RACK/TLP (a lost retransmission waits for the timeout), PAWS, Nagle / delayed ACKs (every data segment is acknowledged at once
 * unless the application's answer carries the ACK), urgent data, simultaneous open.
 *
 * Bytes: the send buffer and the receive buffer each come from `alloc` of the layer's
 * `bufferStrategy` once per connection (released at CLOSED). Outgoing segments are begun with `Ipv4Layer.beginPacket` (headroom for TCP + IPv4 +
 * Ethernet) and one counted copy out of the send buffer; incoming payloads are handed up with
 * `strategy.handUp` (copy, view or cursor per the strategy), valid only during `onData`.
 */
import { newRxCursor, newTxFrame, type BufferStrategy, type RxCursor, type TxFrame } from '../../allocators/buffer-strategy.js';
import { PROTOCOL_TCP } from '../ipv4/wire.js';
import type { Ipv4Layer } from '../ipv4/layer.js';
import { encodeOptionsInto, fillTcpChecksum, MAX_SACK_BLOCKS, optionsBytes, type TcpHeader, type TcpOptions } from './packet.js';
import type { TcpCloseReason, TcpConnectionOptions, TcpCounters, TcpState } from './types.js';
import { FLAG_ACK, FLAG_FIN, FLAG_PSH, FLAG_RST, FLAG_SYN, seqAdd, seqDiff, seqLe, seqLt, TCP_MIN_HEADER_BYTES, writeTcpHeader } from './wire.js';

export interface TcpHandlers {
  /** Active open completed. */
  onConnect?: (conn: TcpConnection) => void;
  /** In-order bytes: `buf[start, end)` valid only during the call. */
  onData: (buf: Uint8Array, start: number, end: number) => void;
  /** The peer sent FIN: no more data will come (we may still write). */
  onEnd?: () => void;
  /** Send buffer space was freed by an ACK. */
  onWritable?: () => void;
  /** The connection reached CLOSED. */
  onClose?: (reason: TcpCloseReason) => void;
}

/** Called for every connection a listener accepts (once established); returns its handlers. */
export type TcpAcceptor = (conn: TcpConnection) => TcpHandlers;

/**
 * What a connection uses of the layer that owns it (`TcpLayer` implements it): declared here, below
 * the layer, as `Ipv4Upper` is declared by IPv4 for the transports above it.
 */
export interface TcpConnectionHost {
  readonly ipv4: Ipv4Layer;
  readonly options: TcpConnectionOptions;
  readonly bufferStrategy: BufferStrategy;
  readonly counters: TcpCounters;
  /** Largest segment payload our MTU allows (the MSS we announce). */
  readonly mssBytes: number;
  /** Milliseconds, monotonic. */
  readonly clock: () => number;
  readonly address: number;
  /** The receive cursor connections hand payloads up in. */
  readonly upCursor: RxCursor;
  /** A bare control segment (RST) outside any connection's sequence space. */
  sendControl(srcPort: number, dstIp: number, dstPort: number, seq: number, ack: number, flags: number): void;
  /** Called by a connection once it reaches CLOSED. */
  remove(conn: TcpConnection): void;
}

/** Misuse of a connection (writing after close…). */
export class TcpStateError extends Error {
  readonly code = 'E_TCP_STATE';
  constructor(message: string) {
    super(message);
    this.name = 'TcpStateError';
  }
}

export class TcpConnection {
  state: TcpState = 'CLOSED';
  handlers: TcpHandlers | null;
  /** The peer's MSS (from its SYN, default 536 per RFC 9293 §3.7.1), capped at ours. */
  peerMssBytes = 536;
  retransmitTimeoutMs: number;

  private readonly strategy: BufferStrategy;
  private readonly opts: TcpConnectionOptions;
  private readonly frame: TxFrame = newTxFrame();
  private readonly txOpts: TcpOptions = { mss: 0, windowScale: -1, sackPermitted: false, hasTimestamps: false, tsVal: 0, tsEcr: 0, sackBlocks: 0, sackEdges: [0, 0, 0, 0, 0, 0, 0, 0] };
  // send sequence space (RFC 9293 §3.3.1)
  private readonly iss: number;
  private sndUna: number;
  private sndNxt: number;
  private sndWnd = 0;
  private sndWl1 = 0;
  private sndWl2 = 0;
  private sndScale = 0;
  /** The largest window the peer has offered (RFC 9293 §3.8.6.2.1's Max(SND.WND)). */
  private maxPeerWindowBytes = 0;
  // receive sequence space
  private irs = 0;
  private rcvNxt = 0;
  private rcvScale = 0;
  // negotiated options
  private timestampsOn = false;
  private tsRecent = 0;
  sackPermittedByPeer = false;
  // send buffer: a ring holding unacknowledged and unsent bytes; its first byte has sequence ringSeq
  private readonly sendBuf: RxCursor = newRxCursor();
  private sendHead = 0;
  private sendLen = 0;
  private ringSeq = 0;
  private finQueued = false;
  private finSent = false;
  private finSeq = 0;
  private finAcked = false;
  // receive buffer while paused
  private paused = false;
  private readonly recvBuf: RxCursor = newRxCursor();
  private recvAllocated = false;
  private recvHead = 0;
  private recvLen = 0;
  private ackPending = false;
  /** Out-of-order segments kept until the gap before them fills, sorted by sequence number. */
  private readonly outOfOrder: { seq: number; cur: RxCursor; bytes: number; fin: boolean }[] = [];
  private outOfOrderBytes = 0;
  // timers (ms on the layer's clock; -1 = off)
  private rtoDeadline = -1;
  private timeWaitDeadline = -1;
  private retransmits = 0;
  private srttMs = -1;
  private rttvarMs = 0;
  private rttSeq = 0;
  private rttStartMs = -1;
  private dupAcks = 0;
  /** RFC 6582's `recover`: the highest sequence sent when fast recovery began (or at the last timeout). */
  private recoverSeq = 0;
  /** In fast recovery (entered on the third duplicate ACK, left on a full ACK or a timeout). */
  private inRecovery = false;
  /**
   * SACK scoreboard (RFC 6675 §3): the ranges above SND.UNA the peer reported holding, as sorted,
   * disjoint [left, right) pairs flattened (left0, right0, left1, …), and their total bytes.
   */
  private readonly sacked: number[] = [];
  private sackedBytes = 0;
  /** RFC 6675's HighRxt: the end of the last hole retransmitted in this recovery. */
  private highRxt = 0;
  /** The sequence number of the out-of-order segment received last (its block is reported first). */
  private lastOutOfOrderSeq = 0;
  /** RFC 5681 congestion window and slow-start threshold, bytes. */
  congestionWindowBytes = 0;
  slowStartThresholdBytes = 0x7fffffff;
  /** The highest sequence number sent so far (to tell retransmissions from new data). */
  private highestSent = 0;
  private released = false;

  constructor(
    private readonly layer: TcpConnectionHost,
    readonly localPort: number,
    readonly remoteIp: number,
    readonly remotePort: number,
    iss: number,
    handlers: TcpHandlers | null,
    private readonly acceptor: TcpAcceptor | null = null,
  ) {
    this.strategy = layer.ipv4.strategy;
    this.opts = layer.options;
    this.handlers = handlers;
    this.iss = iss >>> 0;
    this.recoverSeq = this.iss;
    this.sndUna = this.iss;
    this.sndNxt = this.iss;
    this.ringSeq = seqAdd(this.iss, 1);
    this.retransmitTimeoutMs = this.opts.initialRtoMs;
    layer.bufferStrategy.alloc(this.opts.sendBufferBytes, this.sendBuf);
  }

  /** Read through a getter so that TypeScript does not narrow `state` across callbacks that change it. */
  get isClosed(): boolean {
    return this.state === 'CLOSED';
  }

  /** Bytes `write` can take now. */
  get writableBytes(): number {
    return this.finQueued ? 0 : this.opts.sendBufferBytes - this.sendLen;
  }

  /** Bytes written but not yet acknowledged by the peer. */
  get unacknowledgedBytes(): number {
    return this.sendLen;
  }

  /** Our receive window in bytes (what the peer may still send). */
  get receiveWindowBytes(): number {
    return this.paused ? this.opts.receiveBufferBytes - this.recvLen : this.opts.receiveBufferBytes;
  }

  get peerWindowBytes(): number {
    return this.sndWnd;
  }

  // ------------------------------------------------------------------ user calls

  /**
   * Queues `buf[start, end)` for sending (one counted copy into the send buffer) and sends what the
   * peer's window allows. Returns the bytes taken (less than asked when the send buffer is full:
   * wait for `onWritable`). Throws `TcpStateError` after `close()` or on a closed connection.
   */
  write(buf: Uint8Array, start: number, end: number): number {
    if (this.finQueued || (this.state !== 'ESTABLISHED' && this.state !== 'CLOSE-WAIT' && this.state !== 'SYN-SENT' && this.state !== 'SYN-RECEIVED')) {
      throw new TcpStateError(`write() in state ${this.state}${this.finQueued ? ' after close()' : ''}: write only on an open connection`);
    }
    const cap = this.opts.sendBufferBytes;
    const n = Math.min(end - start, cap - this.sendLen);
    let tail = (this.sendHead + this.sendLen) % cap;
    let left = n;
    let from = start;
    while (left > 0) {
      const piece = Math.min(left, cap - tail);
      this.strategy.copy(buf, from, from + piece, this.sendBuf.buf, this.sendBuf.start + tail);
      from += piece;
      left -= piece;
      tail = (tail + piece) % cap;
    }
    this.sendLen += n;
    this.output();
    return n;
  }

  /** Sends FIN once every queued byte is sent (RFC 9293 §3.10.4). Idempotent. */
  close(): void {
    if (this.finQueued || this.state === 'CLOSED') return;
    this.finQueued = true;
    if (this.state === 'SYN-SENT') {
      this.toClosed('closed');
      return;
    }
    this.output();
  }

  /** Sends RST and forgets the connection (§3.10.5 ABORT). */
  abort(): void {
    if (this.state === 'CLOSED') return;
    if (this.state !== 'SYN-SENT') this.sendSegment(FLAG_RST | FLAG_ACK, this.highestSent, 0, 0);
    this.toClosed('aborted');
  }

  /** Stops delivering data: it is kept in the receive buffer and the window shrinks. */
  pause(): void {
    if (!this.recvAllocated) {
      this.layer.bufferStrategy.alloc(this.opts.receiveBufferBytes, this.recvBuf);
      this.recvAllocated = true;
    }
    this.paused = true;
  }

  /** Delivers buffered data, resumes direct delivery and sends a window update. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    const cap = this.opts.receiveBufferBytes;
    while (this.recvLen > 0 && !this.paused) {
      const piece = Math.min(this.recvLen, cap - this.recvHead);
      const at = this.recvBuf.start + this.recvHead;
      this.recvHead = (this.recvHead + piece) % cap;
      this.recvLen -= piece;
      this.handlers?.onData(this.recvBuf.buf, at, at + piece);
    }
    if (this.state !== 'CLOSED') this.sendAck();
  }

  // ------------------------------------------------------------------ opening

  /** @internal */
  openActive(): void {
    this.state = 'SYN-SENT';
    this.sendSyn();
  }

  /** @internal a SYN arrived for a listener: answer SYN-ACK (§3.10.7.2). */
  openPassive(h: TcpHeader): void {
    this.state = 'SYN-RECEIVED';
    this.irs = h.seq;
    this.rcvNxt = seqAdd(h.seq, 1);
    this.takeSynOptions(h);
    this.setPeerWindow(h.window); // never scaled in a SYN (RFC 7323 §2.2)
    this.sndWl1 = h.seq;
    this.sndWl2 = this.iss;
    this.sendSyn();
  }

  private takeSynOptions(h: TcpHeader): void {
    this.peerMssBytes = Math.min(h.mss > 0 ? h.mss : 536, this.layer.mssBytes);
    // RFC 7323 §2.2: scaling is on only when both SYNs carry the option.
    if (h.windowScale >= 0) {
      this.sndScale = h.windowScale;
      this.rcvScale = this.opts.windowScale;
    } else {
      this.sndScale = 0;
      this.rcvScale = -1;
    }
    this.timestampsOn = this.opts.timestamps && h.hasTimestamps;
    if (h.hasTimestamps) this.tsRecent = h.tsVal;
    this.sackPermittedByPeer = h.sackPermitted;
    // RFC 6928: an initial window of up to 10 segments.
    this.congestionWindowBytes = 10 * this.segmentBytes;
  }

  /** Payload bytes per full segment (the peer's MSS less our timestamp option). */
  private get segmentBytes(): number {
    return this.peerMssBytes - (this.timestampsOn ? 12 : 0);
  }

  private sendSyn(): void {
    const flags = this.state === 'SYN-SENT' ? FLAG_SYN : FLAG_SYN | FLAG_ACK;
    this.sendSegment(flags, this.iss, 0, 0, true);
    this.sndNxt = seqAdd(this.iss, 1);
    this.highestSent = this.sndNxt;
    this.armRto();
  }

  // ------------------------------------------------------------------ timers

  /** @internal */
  tick(nowMs: number): void {
    if (this.timeWaitDeadline >= 0 && nowMs >= this.timeWaitDeadline) {
      this.toClosed('closed');
      return;
    }
    if (this.rtoDeadline >= 0 && nowMs >= this.rtoDeadline) this.onRetransmitTimeout(nowMs);
  }

  private armRto(): void {
    this.rtoDeadline = this.layer.clock() + this.retransmitTimeoutMs;
  }

  private onRetransmitTimeout(nowMs: number): void {
    const c = this.layer.counters;
    this.retransmits++;
    if (this.retransmits > this.opts.maxRetransmits) {
      c.connectionsTimedOut++;
      if (this.state !== 'SYN-SENT') this.sendSegment(FLAG_RST | FLAG_ACK, this.highestSent, 0, 0);
      this.toClosed('timeout');
      return;
    }
    // RFC 6298 §5.5: back off; §5 Karn: no RTT sample from a retransmitted segment.
    this.retransmitTimeoutMs = Math.min(this.retransmitTimeoutMs * 2, this.opts.maxRtoMs);
    this.rttStartMs = -1;
    this.rtoDeadline = nowMs + this.retransmitTimeoutMs;
    if (this.state === 'SYN-SENT' || this.state === 'SYN-RECEIVED') {
      c.retransmitTimeouts++;
      c.segmentsRetransmitted++;
      this.sendSegment(this.state === 'SYN-SENT' ? FLAG_SYN : FLAG_SYN | FLAG_ACK, this.iss, 0, 0, true);
      return;
    }
    const inFlight = seqDiff(this.sndNxt, this.sndUna);
    const unsent = this.sendLen - seqDiff(this.sndNxt, this.ringSeq);
    if (inFlight === 0 && this.sndWnd === 0 && unsent > 0) {
      // §3.8.6.1: zero-window probe — one byte beyond the window; SND.NXT does not move.
      c.windowProbes++;
      this.sendData(this.sndNxt, 1);
      return;
    }
    if (inFlight === 0) {
      this.rtoDeadline = -1;
      return;
    }
    c.retransmitTimeouts++;
    // RFC 6582 §3.2 (4): after a timeout, recover = the highest sequence sent; leave fast recovery.
    this.recoverSeq = this.highestSent;
    this.inRecovery = false;
    // RFC 2018 §8: after a timeout the SACKed bits are turned off (the receiver may have reneged).
    this.sacked.length = 0;
    this.sackedBytes = 0;
    // RFC 5681 §3.1 (4): after a timeout, ssthresh = max(FlightSize / 2, 2 SMSS) and cwnd = 1 SMSS.
    this.slowStartThresholdBytes = Math.max(Math.floor(inFlight / 2), 2 * this.segmentBytes);
    this.congestionWindowBytes = this.segmentBytes;
    // Go back to SND.UNA and resend what the window allows.
    this.sndNxt = this.sndUna;
    if (this.finSent && !this.finAcked) this.finSent = false;
    this.output(true);
  }

  /**
   * The SACK blocks an ACK carries while out-of-order data is queued (RFC 2018 §4): the queued
   * segments merged into contiguous blocks, the one holding the segment received last first, then
   * the others in sequence order, at most `max`. Returns how many were written to `edges`.
   */
  private writeSackBlocks(edges: number[], max: number): number {
    const q = this.outOfOrder;
    let n = 0;
    let first = -1;
    for (let i = 0; i < q.length; ) {
      const left = q[i]!.seq;
      let right = seqAdd(left, q[i]!.bytes);
      let holdsLast = left === this.lastOutOfOrderSeq;
      for (i++; i < q.length && seqLe(q[i]!.seq, right); i++) {
        const end = seqAdd(q[i]!.seq, q[i]!.bytes);
        if (seqLt(right, end)) right = end;
        if (q[i]!.seq === this.lastOutOfOrderSeq) holdsLast = true;
      }
      if (holdsLast) first = n;
      // Room for max blocks, keeping a slot for the latest one until it is found.
      if (n < max || holdsLast) {
        const at = n < max ? n : max - 1;
        edges[2 * at] = left;
        edges[2 * at + 1] = right;
        if (n < max) n++;
        else first = at;
      }
    }
    if (first > 0) {
      // rotate the latest block to the front
      const l = edges[2 * first]!;
      const r = edges[2 * first + 1]!;
      for (let k = first; k > 0; k--) {
        edges[2 * k] = edges[2 * k - 2]!;
        edges[2 * k + 1] = edges[2 * k - 1]!;
      }
      edges[0] = l;
      edges[1] = r;
    }
    return n;
  }

  /** Whether SACK is on: both SYNs carried SACK-permitted (RFC 2018 §2). */
  private get sackOn(): boolean {
    return this.opts.sackPermitted && this.sackPermittedByPeer;
  }

  /**
   * Retransmissions in fast recovery. Without SACK information (NewReno, RFC 6582): the segment at
   * SND.UNA, once per partial ACK. With it (RFC 6675 §5, simplified: every hole below the highest
   * SACKed byte counts as lost): the holes after HighRxt, one segment at a time while the data in
   * the network ("pipe") stays below cwnd — so a burst of losses is repaired in about one round
   * trip, where NewReno takes a round trip per lost segment.
   */
  private recoverySend(entering = false): void {
    const mss = this.segmentBytes;
    if (this.sackedBytes === 0) {
      const n = Math.min(this.sendLen, mss, seqDiff(this.sndNxt, this.sndUna));
      if (n <= 0) return;
      this.layer.counters.segmentsRetransmitted++;
      this.sendData(this.sndUna, n);
      if (seqLt(this.highRxt, seqAdd(this.sndUna, n))) this.highRxt = seqAdd(this.sndUna, n);
      return;
    }
    if (seqLt(this.highRxt, this.sndUna)) this.highRxt = this.sndUna;
    let pipe = this.recoveryPipe();
    let holeStart = this.sndUna;
    for (let k = 0; k < this.sacked.length; k += 2) {
      const holeEnd = this.sacked[k]!;
      let at = seqLt(holeStart, this.highRxt) ? this.highRxt : holeStart;
      while (seqLt(at, holeEnd)) {
        const n = Math.min(mss, seqDiff(holeEnd, at));
        // RFC 6675 §5 (4.3): the first hole goes on entering recovery whatever the pipe says (cwnd
        // was just halved below it: waiting would leave nothing to clock out the next ACK).
        if (pipe + n > this.congestionWindowBytes && !entering) return;
        entering = false;
        this.layer.counters.segmentsRetransmitted++;
        this.sendData(at, n);
        at = seqAdd(at, n);
        this.highRxt = at;
        pipe += n;
      }
      holeStart = this.sacked[k + 1]!;
    }
  }

  /** Whether the scoreboard holds data SACKed beyond `seq`. */
  private sackedBeyond(seq: number): boolean {
    return this.sacked.length > 0 && seqLt(seq, this.sacked[this.sacked.length - 1]!);
  }

  /**
   * RFC 6675's pipe in fast recovery with SACK: bytes sent and not yet acknowledged, less those the
   * peer SACKed and those in holes below the highest SACK not yet retransmitted (deemed lost).
   */
  private recoveryPipe(): number {
    let lost = 0;
    let holeStart = this.sndUna;
    for (let k = 0; k < this.sacked.length; k += 2) {
      const holeEnd = this.sacked[k]!;
      const from = seqLt(holeStart, this.highRxt) ? this.highRxt : holeStart;
      if (seqLt(from, holeEnd)) lost += seqDiff(holeEnd, from);
      holeStart = this.sacked[k + 1]!;
    }
    return seqDiff(this.highestSent, this.sndUna) - this.sackedBytes - lost;
  }

  /**
   * Adds the SACK blocks of `h` to the scoreboard (clipped to (SND.UNA, highest sent]; blocks that
   * fall outside are ignored, RFC 2018 §5). Returns whether any byte was SACKed for the first time.
   */
  private updateScoreboard(h: TcpHeader): boolean {
    const before = this.sackedBytes;
    const floor = seqLt(this.sndUna, h.ack) ? h.ack : this.sndUna;
    for (let b = 0; b < h.sackBlocks; b++) {
      let left = h.sackEdges[2 * b]! >>> 0;
      let right = h.sackEdges[2 * b + 1]! >>> 0;
      if (seqLt(left, floor)) left = floor;
      if (seqLt(this.highestSent, right)) right = this.highestSent;
      if (!seqLt(left, right)) continue;
      this.addSacked(left, right);
    }
    return this.sackedBytes > before;
  }

  /** Merges [left, right) into the sorted, disjoint scoreboard. */
  private addSacked(left: number, right: number): void {
    const s = this.sacked;
    let i = 0;
    while (i < s.length && seqLt(s[i + 1]!, left)) i += 2; // ranges wholly before
    let j = i;
    while (j < s.length && seqLe(s[j]!, right)) {
      // overlapping or adjacent: absorb
      if (seqLt(s[j]!, left)) left = s[j]!;
      if (seqLt(right, s[j + 1]!)) right = s[j + 1]!;
      this.sackedBytes -= seqDiff(s[j + 1]!, s[j]!);
      j += 2;
    }
    s.splice(i, j - i, left, right);
    this.sackedBytes += seqDiff(right, left);
  }

  /** Drops what the cumulative ACK (SND.UNA) now covers from the scoreboard. */
  private trimScoreboard(): void {
    const s = this.sacked;
    while (s.length > 0 && seqLe(s[1]!, this.sndUna)) {
      this.sackedBytes -= seqDiff(s[1]!, s[0]!);
      s.splice(0, 2);
    }
    if (s.length > 0 && seqLt(s[0]!, this.sndUna)) {
      this.sackedBytes -= seqDiff(this.sndUna, s[0]!);
      s[0] = this.sndUna;
    }
  }

  private rttSample(nowMs: number): void {
    const r = nowMs - this.rttStartMs;
    this.rttStartMs = -1;
    // RFC 6298 §2.2-2.3 with K = 4, alpha = 1/8, beta = 1/4, G = 1 ms.
    if (this.srttMs < 0) {
      this.srttMs = r;
      this.rttvarMs = r / 2;
    } else {
      this.rttvarMs = 0.75 * this.rttvarMs + 0.25 * Math.abs(this.srttMs - r);
      this.srttMs = 0.875 * this.srttMs + 0.125 * r;
    }
    this.retransmitTimeoutMs = Math.min(this.opts.maxRtoMs, Math.max(this.opts.minRtoMs, this.srttMs + Math.max(1, 4 * this.rttvarMs)));
  }

  // ------------------------------------------------------------------ sending

  /** Sends new data (and FIN) as the peer's window allows; `retransmitting` counts the segments. */
  private output(retransmitting = false): void {
    if (this.state !== 'ESTABLISHED' && this.state !== 'CLOSE-WAIT' && this.state !== 'FIN-WAIT-1' && this.state !== 'CLOSING' && this.state !== 'LAST-ACK') return;
    const mss = this.segmentBytes;
    for (;;) {
      const sent = seqDiff(this.sndNxt, this.ringSeq);
      const unsent = this.sendLen - sent;
      // RFC 5681 §2: send no more than min(cwnd, rwnd) beyond SND.UNA; in fast recovery with SACK,
      // cwnd bounds the pipe (RFC 6675 §5 (C)), and rwnd still everything beyond SND.UNA.
      const inFlight = seqDiff(this.sndNxt, this.sndUna);
      const pipe = this.inRecovery && this.sackedBytes > 0 ? this.recoveryPipe() : inFlight;
      const usable = Math.min(this.sndWnd - inFlight, this.congestionWindowBytes - pipe);
      const n = Math.min(unsent, mss, usable);
      if (unsent > 0 && usable > 0 && n < mss && inFlight > 0 && !this.shortSegmentDue(n, unsent)) {
        this.layer.counters.shortSegmentsDeferred++;
        return; // the ACK for what is in flight calls output() again
      }
      if (unsent > 0 && usable > 0) {
        if (retransmitting && seqLt(this.sndNxt, this.highestSent)) this.layer.counters.segmentsRetransmitted++;
        if (this.rttStartMs < 0 && !retransmitting) {
          this.rttSeq = this.sndNxt;
          this.rttStartMs = this.layer.clock();
        }
        this.sendData(this.sndNxt, n);
        this.sndNxt = seqAdd(this.sndNxt, n);
        if (seqLt(this.highestSent, this.sndNxt)) this.highestSent = this.sndNxt;
        if (this.rtoDeadline < 0) this.armRto();
        continue;
      }
      if (unsent === 0 && this.finQueued && !this.finSent && usable >= 0) {
        this.finSeq = this.sndNxt;
        this.finSent = true;
        this.sendSegment(FLAG_FIN | FLAG_ACK, this.sndNxt, 0, 0);
        this.sndNxt = seqAdd(this.sndNxt, 1);
        if (seqLt(this.highestSent, this.sndNxt)) this.highestSent = this.sndNxt;
        if (this.state === 'ESTABLISHED') this.state = 'FIN-WAIT-1';
        else if (this.state === 'CLOSE-WAIT') this.state = 'LAST-ACK';
        if (this.rtoDeadline < 0) this.armRto();
      }
      if (unsent > 0 && this.sndWnd === 0 && this.rtoDeadline < 0) this.armRto(); // persist timer
      return;
    }
  }

  /**
   * Sender-side silly window syndrome avoidance (RFC 9293 §3.8.6.2.1), asked only for a segment
   * shorter than the MSS while data is in flight (so an ACK is coming that calls `output()` again:
   * the RFC's override timeout is never needed). Such a segment goes now only if
   * - it holds every queued byte and the writer is not blocked on a full send buffer (condition 2,
   *   "data is pushed": a writer waiting for space has more to say, and an ACK will let it), or
   * - it fills at least half of the largest window the peer has offered (condition 3, Fs = 1/2).
   * Otherwise it waits, so a stream the writer keeps the buffer full of goes out in full segments:
   * without this, a window that opens by less than an MSS (congestion avoidance grows cwnd by
   * SMSS²/cwnd bytes) cuts a short segment, and every later refill of the freed bytes repeats the
   * cut (the tunnel server sent 1367 of 1448 bytes per segment on average). Not Nagle (§3.7.4): a
   * short answer with nothing in flight is sent at once.
   */
  private shortSegmentDue(n: number, unsent: number): boolean {
    // The queued data's last segment: due unless the writer is blocked on a full buffer (more is
    // coming) — a writer that has closed is never blocked, its FIN follows this segment.
    if (n === unsent) return this.finQueued || this.sendLen < this.opts.sendBufferBytes;
    return n >= this.maxPeerWindowBytes / 2;
  }

  /** Sends `n` bytes of the send buffer starting at sequence `seq`. */
  private sendData(seq: number, n: number): void {
    this.sendSegment(FLAG_ACK | FLAG_PSH, seq, seqDiff(seq, this.ringSeq), n);
  }

  private sendAck(): void {
    // A pure ACK carries the first never-sent sequence number: after a timeout SND.NXT is back at
    // SND.UNA, and an ACK numbered from there would be an "old duplicate" the peer refuses (4.4BSD's
    // tcp_output does the same with snd_max).
    this.sendSegment(FLAG_ACK, this.state === 'SYN-SENT' || this.state === 'SYN-RECEIVED' ? this.sndNxt : this.highestSent, 0, 0);
  }

  /** Builds one segment: `n` payload bytes from send-buffer offset `bufOffset`, options, checksum. */
  private sendSegment(flags: number, seq: number, bufOffset: number, n: number, syn = false): void {
    const s = this.strategy;
    const f = this.frame;
    const o = this.txOpts;
    o.mss = syn ? this.layer.mssBytes : 0;
    o.windowScale = syn && (this.state === 'SYN-SENT' || this.rcvScale >= 0) ? this.opts.windowScale : -1;
    o.sackPermitted = syn && this.opts.sackPermitted && (this.state === 'SYN-SENT' || this.sackPermittedByPeer);
    o.hasTimestamps = syn ? this.opts.timestamps && (this.state === 'SYN-SENT' || this.timestampsOn) : this.timestampsOn;
    o.tsVal = Math.floor(this.layer.clock()) >>> 0;
    o.tsEcr = this.tsRecent;
    // SACK blocks only in the room the segment leaves below the MSS (payload + options ≤ MSS, as the
    // timestamps are accounted): a full-size data segment carries none, a pure ACK up to 3 or 4.
    // (Never on a SYN, so `segmentBytes` — timestamps as negotiated — is the room's base.)
    const sackRoom = this.segmentBytes - n - 4;
    const maxBlocks = Math.min(o.hasTimestamps ? 3 : MAX_SACK_BLOCKS, Math.floor(sackRoom / 8));
    o.sackBlocks = !syn && (flags & FLAG_ACK) !== 0 && maxBlocks > 0 && this.outOfOrder.length > 0 && this.sackOn ? this.writeSackBlocks(o.sackEdges, maxBlocks) : 0;
    const headerBytes = TCP_MIN_HEADER_BYTES + optionsBytes(o);
    this.layer.ipv4.beginPacket(f, n, headerBytes, 0);
    if (n > 0) {
      const cap = this.opts.sendBufferBytes;
      const at = (this.sendHead + bufOffset) % cap;
      const first = Math.min(n, cap - at);
      s.copy(this.sendBuf.buf, this.sendBuf.start + at, this.sendBuf.start + at + first, f.buf, f.start);
      if (first < n) s.copy(this.sendBuf.buf, this.sendBuf.start, this.sendBuf.start + (n - first), f.buf, f.start + first);
    }
    s.prepend(f, headerBytes);
    const window = syn ? Math.min(0xffff, this.receiveWindowBytes) : Math.min(0xffff, this.receiveWindowBytes >>> Math.max(0, this.rcvScale));
    writeTcpHeader(f.buf, f.start, this.localPort, this.remotePort, seq, (flags & FLAG_ACK) !== 0 ? this.rcvNxt : 0, headerBytes, flags, window);
    encodeOptionsInto(o, f.buf, f.start + TCP_MIN_HEADER_BYTES);
    fillTcpChecksum(f.buf, f.start, f.end, this.layer.address, this.remoteIp);
    if ((flags & FLAG_ACK) !== 0) this.ackPending = false;
    if ((flags & FLAG_RST) !== 0) this.layer.counters.resetsSent++;
    if (this.layer.ipv4.send(f, PROTOCOL_TCP, this.remoteIp)) this.layer.counters.sent++;
  }

  // ------------------------------------------------------------------ receiving

  /** @internal one decoded segment for this connection; payload `buf[start, end)`. */
  input(h: TcpHeader, buf: Uint8Array, start: number, end: number): void {
    const c = this.layer.counters;
    if (this.state === 'SYN-SENT') return this.inputSynSent(h);
    if (this.state === 'CLOSED') return;
    if (this.timestampsOn && h.hasTimestamps && seqLe(h.seq, this.rcvNxt)) this.tsRecent = h.tsVal;
    // §3.10.7.4 first: is the segment acceptable (inside the receive window)?
    let len = end - start + ((h.flags & FLAG_SYN) !== 0 ? 1 : 0) + ((h.flags & FLAG_FIN) !== 0 ? 1 : 0);
    const wnd = this.receiveWindowBytes;
    const rcvNxt = this.rcvNxt;
    // A module function, not a closure: a closure here would be made once per segment (and named by tsx's
    // keep-names helper with an Object.defineProperty, 2% of the tunnel server's CPU).
    const acceptable = len === 0 ? (wnd === 0 ? h.seq === rcvNxt : inWindow(rcvNxt, wnd, h.seq)) : wnd > 0 && (inWindow(rcvNxt, wnd, h.seq) || inWindow(rcvNxt, wnd, seqAdd(h.seq, len - 1)));
    if (!acceptable) {
      c.droppedOutOfWindow++;
      if ((h.flags & FLAG_RST) === 0) this.sendAck();
      return;
    }
    // second: RST (RFC 5961 §3.2: only an exact match resets; else a challenge ACK).
    if ((h.flags & FLAG_RST) !== 0) {
      if (h.seq === this.rcvNxt) {
        c.resetsReceived++;
        this.toClosed('reset');
      } else this.sendAck();
      return;
    }
    // fourth: a SYN in a synchronized state gets a challenge ACK (RFC 5961 §4.2).
    if ((h.flags & FLAG_SYN) !== 0) {
      c.droppedUnacceptable++;
      this.sendAck();
      return;
    }
    // fifth: the ACK field.
    if ((h.flags & FLAG_ACK) === 0) {
      c.droppedUnacceptable++;
      return;
    }
    if (this.state === 'SYN-RECEIVED') {
      if (!(seqLt(this.sndUna, h.ack) && seqLe(h.ack, this.sndNxt))) {
        c.droppedUnacceptable++;
        this.layer.sendControl(this.localPort, this.remoteIp, this.remotePort, h.ack, 0, FLAG_RST);
        return;
      }
      this.state = 'ESTABLISHED';
      this.layer.counters.connectionsAccepted++;
      this.handlers = this.acceptor!(this);
    }
    // An ACK for data never sent. Measured against the highest sequence sent, not SND.NXT: after a
    // timeout SND.NXT goes back to SND.UNA, and ACKs for what was sent before are still valid.
    if (seqLt(this.highestSent, h.ack)) {
      c.droppedUnacceptable++;
      this.sendAck();
      return;
    }
    this.processAck(h);
    if (this.isClosed) return;
    // seventh: the data.
    let dataStart = start;
    let seq = h.seq;
    if (seqLt(seq, this.rcvNxt)) {
      const skip = seqDiff(this.rcvNxt, seq);
      dataStart = Math.min(end, start + skip);
      seq = this.rcvNxt;
      len -= skip;
    }
    let fin = (h.flags & FLAG_FIN) !== 0;
    const canReceive = this.state === 'ESTABLISHED' || this.state === 'FIN-WAIT-1' || this.state === 'FIN-WAIT-2';
    if (end > dataStart && canReceive) {
      if (seq !== this.rcvNxt) {
        this.queueOutOfOrder(seq, buf, dataStart, end, fin, wnd);
        this.sendAck(); // a duplicate ACK: the sender's fast retransmit fills the gap
        return;
      }
      let dataEnd = end;
      if (dataEnd - dataStart > wnd) {
        dataEnd = dataStart + wnd;
        fin = false; // the FIN lies beyond what we took
      }
      this.deliver(buf, dataStart, dataEnd);
      if (this.isClosed) return;
      this.rcvNxt = seqAdd(this.rcvNxt, dataEnd - dataStart);
      this.ackPending = true;
    }
    // eighth: FIN, only when everything before it arrived.
    if (fin && seqAdd(h.seq, end - start) === this.rcvNxt) this.processFin();
    else if (this.outOfOrder.length > 0 && canReceive) {
      if (!this.drainOutOfOrder()) return;
    }
    if (this.ackPending && !this.isClosed) {
      this.output(); // an answer written from onData carries the ACK
      if (this.ackPending) this.sendAck();
    }
  }

  private setPeerWindow(bytes: number): void {
    this.sndWnd = bytes;
    if (bytes > this.maxPeerWindowBytes) this.maxPeerWindowBytes = bytes;
  }

  private inputSynSent(h: TcpHeader): void {
    const c = this.layer.counters;
    const ackOk = (h.flags & FLAG_ACK) !== 0 && seqLt(this.iss, h.ack) && seqLe(h.ack, this.sndNxt);
    if ((h.flags & FLAG_ACK) !== 0 && !ackOk) {
      c.droppedUnacceptable++;
      if ((h.flags & FLAG_RST) === 0) this.layer.sendControl(this.localPort, this.remoteIp, this.remotePort, h.ack, 0, FLAG_RST);
      return;
    }
    if ((h.flags & FLAG_RST) !== 0) {
      if (ackOk) {
        c.resetsReceived++;
        this.toClosed('reset');
      }
      return;
    }
    if ((h.flags & FLAG_SYN) === 0 || !ackOk) {
      // Simultaneous open (a SYN without ACK) is not implemented: dropped and counted.
      c.droppedUnacceptable++;
      return;
    }
    this.irs = h.seq;
    this.rcvNxt = seqAdd(h.seq, 1);
    this.takeSynOptions(h);
    this.setPeerWindow(h.window);
    this.sndWl1 = h.seq;
    this.sndWl2 = h.ack;
    this.sndUna = h.ack;
    this.ringSeq = h.ack;
    this.highestSent = this.sndNxt;
    this.retransmits = 0;
    this.rtoDeadline = -1;
    this.state = 'ESTABLISHED';
    this.sendAck();
    this.handlers?.onConnect?.(this);
    this.output();
  }

  private processAck(h: TcpHeader): void {
    const c = this.layer.counters;
    const now = this.layer.clock();
    const newlySacked = h.sackBlocks > 0 && this.sackOn ? this.updateScoreboard(h) : false;
    if (seqLt(this.sndUna, h.ack)) {
      let acked = seqDiff(h.ack, this.sndUna);
      if (this.sndUna === this.iss) acked--; // our SYN
      if (this.finSent && seqLt(this.finSeq, h.ack)) {
        acked--;
        this.finAcked = true;
      }
      const dataAcked = Math.min(acked, this.sendLen);
      this.sendHead = (this.sendHead + dataAcked) % this.opts.sendBufferBytes;
      this.sendLen -= dataAcked;
      this.ringSeq = seqAdd(this.ringSeq, dataAcked);
      this.sndUna = h.ack;
      this.trimScoreboard();
      if (seqLt(this.sndNxt, this.sndUna)) this.sndNxt = this.sndUna;
      if (this.rttStartMs >= 0 && seqLt(this.rttSeq, h.ack)) this.rttSample(now);
      this.retransmits = 0;
      let partialAck = false;
      // RFC 6582's test "the ACK covers more than recover" compares modulo 2^32: outside recovery,
      // `recover` follows SND.UNA (it is only ever *ahead* of it after a timeout), or 2 GiB after
      // the last recovery every comparison would flip and no loss could start a fast retransmit.
      if (!this.inRecovery && seqLt(this.recoverSeq, seqAdd(this.sndUna, -1))) this.recoverSeq = seqAdd(this.sndUna, -1);
      if (this.inRecovery) {
        // RFC 6582 §3.2 (5)-(6): a partial ACK (below recover) means the next segment was lost too;
        // a full ACK ends fast recovery with cwnd = ssthresh (RFC 5681 §3.2 (6)).
        partialAck = seqLt(h.ack, this.recoverSeq);
        if (!partialAck) {
          this.inRecovery = false;
          this.congestionWindowBytes = this.slowStartThresholdBytes;
        }
      } else if (this.congestionWindowBytes < this.slowStartThresholdBytes) {
        // §3.1 slow start: cwnd += min(N, SMSS) per ACK.
        this.congestionWindowBytes += Math.min(dataAcked, this.segmentBytes);
      } else if (dataAcked > 0) {
        // §3.1 congestion avoidance: about one SMSS per round trip (equation 3).
        this.congestionWindowBytes += Math.max(1, Math.floor((this.segmentBytes * this.segmentBytes) / this.congestionWindowBytes));
      }
      this.dupAcks = 0;
      // Every new ACK restarts the timer, partial ones included (RFC 6582 §4's "Slow-but-Steady").
      this.rtoDeadline = seqDiff(this.sndNxt, this.sndUna) > 0 ? now + this.retransmitTimeoutMs : -1;
      if (partialAck) this.recoverySend();
      if (dataAcked > 0 && !this.finQueued) this.handlers?.onWritable?.();
      if (this.state === 'CLOSED') return;
    } else if (h.ack === this.sndUna && end0(h) && seqDiff(this.sndNxt, this.sndUna) > 0 && (newlySacked || (h.window << this.sndScale) === this.sndWnd)) {
      // A duplicate ACK: RFC 5681's (same window), or RFC 6675's (it SACKs data not SACKed before;
      // a receiver's window may move while it holds out-of-order data).
      if (this.inRecovery) {
        // RFC 6675 §5 (C): each ACK in recovery may let more holes out (new data: output() below).
        if (newlySacked) this.recoverySend();
      } else if (++this.dupAcks >= 3 && (seqLt(this.recoverSeq, h.ack) || this.sackedBeyond(this.recoverSeq))) {
        // RFC 5681 §3.2: the third duplicate ACK triggers a retransmission of SND.UNA's segment —
        // unless it is still about data sent before the last recovery or timeout (RFC 6582 §3.2
        // (1)-(2)); data SACKed beyond `recover` proves a new loss (RFC 6675 has no such guard).
        // RFC 5681 §3.2 (2)-(3): ssthresh = max(FlightSize / 2, 2 SMSS); cwnd = ssthresh (no
        // window inflation: the simplification of "fast recovery" this stack makes).
        this.slowStartThresholdBytes = Math.max(Math.floor(seqDiff(this.sndNxt, this.sndUna) / 2), 2 * this.segmentBytes);
        this.congestionWindowBytes = this.slowStartThresholdBytes;
        c.fastRetransmits++;
        this.recoverSeq = this.highestSent;
        this.inRecovery = true;
        this.highRxt = this.sndUna;
        this.recoverySend(true);
      }
    }
    // §3.10.7.4: window update if the segment is newer than the last one that set it.
    if (seqLt(this.sndWl1, h.seq) || (this.sndWl1 === h.seq && seqLe(this.sndWl2, h.ack))) {
      this.setPeerWindow(h.window << this.sndScale);
      this.sndWl1 = h.seq;
      this.sndWl2 = h.ack;
    }
    if (this.finAcked) {
      if (this.state === 'FIN-WAIT-1') this.state = 'FIN-WAIT-2';
      else if (this.state === 'CLOSING') this.enterTimeWait();
      else if (this.state === 'LAST-ACK') {
        this.toClosed('closed');
        return;
      }
    }
    this.output();
  }

  private processFin(): void {
    this.rcvNxt = seqAdd(this.rcvNxt, 1);
    this.ackPending = true;
    switch (this.state) {
      case 'ESTABLISHED':
        this.state = 'CLOSE-WAIT';
        break;
      case 'FIN-WAIT-1':
        if (this.finAcked) this.enterTimeWait();
        else this.state = 'CLOSING';
        break;
      case 'FIN-WAIT-2':
        this.enterTimeWait();
        break;
      default:
        break;
    }
    this.handlers?.onEnd?.();
  }

  private deliver(buf: Uint8Array, start: number, end: number): void {
    if (!this.paused) {
      const up = this.layer.upCursor;
      this.strategy.handUp(buf, start, end, up);
      this.handlers?.onData(up.buf, up.start, up.end);
      return;
    }
    const cap = this.opts.receiveBufferBytes;
    let tail = (this.recvHead + this.recvLen) % cap;
    let from = start;
    while (from < end) {
      const piece = Math.min(end - from, cap - tail);
      this.strategy.copy(buf, from, from + piece, this.recvBuf.buf, this.recvBuf.start + tail);
      from += piece;
      tail = (tail + piece) % cap;
    }
    this.recvLen += end - start;
  }

  /**
   * Keeps an in-window segment that does not start at RCV.NXT (a copy via `strategy.retain`) until
   * the gap before it is filled. At most a window's worth is kept; beyond that it is dropped.
   */
  private queueOutOfOrder(seq: number, buf: Uint8Array, start: number, end: number, fin: boolean, wnd: number): void {
    const c = this.layer.counters;
    const room = seqDiff(seqAdd(this.rcvNxt, wnd), seq); // bytes from `seq` to the window's right edge
    const bytes = Math.min(end - start, room);
    if (bytes < end - start) fin = false;
    if (bytes <= 0 || this.outOfOrderBytes + bytes > wnd || this.outOfOrder.some((q) => q.seq === seq)) {
      c.droppedOutOfOrder++;
      return;
    }
    const cur = newRxCursor();
    this.strategy.retain(buf, start, start + bytes, cur);
    let i = this.outOfOrder.length;
    while (i > 0 && seqLt(seq, this.outOfOrder[i - 1]!.seq)) i--;
    this.outOfOrder.splice(i, 0, { seq, cur, bytes, fin });
    this.outOfOrderBytes += bytes;
    this.lastOutOfOrderSeq = seq;
    c.queuedOutOfOrder++;
  }

  /** Delivers queued segments that now start at (or before) RCV.NXT. Returns false if the connection closed. */
  private drainOutOfOrder(): boolean {
    while (this.outOfOrder.length > 0) {
      const q = this.outOfOrder[0]!;
      if (seqLt(this.rcvNxt, q.seq)) break;
      this.outOfOrder.shift();
      this.outOfOrderBytes -= q.bytes;
      const skip = seqDiff(this.rcvNxt, q.seq);
      if (skip < q.bytes) {
        this.deliver(q.cur.buf, q.cur.start + skip, q.cur.start + q.bytes);
        if (this.isClosed) {
          this.strategy.release(q.cur);
          return false;
        }
        this.rcvNxt = seqAdd(this.rcvNxt, q.bytes - skip);
        this.ackPending = true;
      }
      this.strategy.release(q.cur);
      if (q.fin && seqAdd(q.seq, q.bytes) === this.rcvNxt) this.processFin();
    }
    return true;
  }

  private enterTimeWait(): void {
    this.state = 'TIME-WAIT';
    this.rtoDeadline = -1;
    this.timeWaitDeadline = this.layer.clock() + this.opts.timeWaitMs;
  }

  private toClosed(reason: TcpCloseReason): void {
    if (this.state === 'CLOSED' && this.released) return;
    this.state = 'CLOSED';
    this.rtoDeadline = -1;
    this.timeWaitDeadline = -1;
    if (!this.released) {
      this.released = true;
      this.layer.bufferStrategy.release(this.sendBuf);
      if (this.recvAllocated) this.layer.bufferStrategy.release(this.recvBuf);
      for (const q of this.outOfOrder) this.strategy.release(q.cur);
      this.outOfOrder.length = 0;
      this.outOfOrderBytes = 0;
    }
    this.layer.remove(this);
    this.handlers?.onClose?.(reason);
  }
}

/** RCV.NXT =< seq < RCV.NXT + RCV.WND (RFC 9293 §3.4, modulo 2^32). */
function inWindow(rcvNxt: number, wnd: number, seq: number): boolean {
  return seqLe(rcvNxt, seq) && seqLt(seq, seqAdd(rcvNxt, wnd));
}

function end0(h: TcpHeader): boolean {
  return h.payloadBytes === 0 && (h.flags & (FLAG_SYN | FLAG_FIN)) === 0;
}
