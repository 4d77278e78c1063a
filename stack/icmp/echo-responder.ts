/**
 * Answers ICMP echo requests addressed to this host (RFC 792; RFC 1122 §3.2.2.6: "Every host MUST
 * implement an ICMP Echo server function"): the reply carries the request's identifier, sequence
 * number and data unchanged, type 0, a fresh checksum. Everything else ICMP is counted and dropped.
 *
 * The reply frame comes from the strategy with the headroom of the layers below; the request's
 * bytes are copied into it once.
 */
import { newTxFrame, type RxCursor, type TxFrame } from '../../allocators/buffer-strategy.js';
import { internetChecksum } from '../checksum.js';
import type { Ipv4Layer, Ipv4Upper } from '../ipv4/layer.js';
import { PROTOCOL_ICMP } from '../ipv4/wire.js';
import { ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST, ICMP_HEADER_BYTES, getCode, getType, setChecksum, setTypeCode } from './wire.js';

export interface IcmpCounters {
  received: number;
  echoRequests: number;
  echoReplies: number;
  droppedTruncated: number;
  droppedBadChecksum: number;
  /** ICMP types other than echo request (counted, not answered). */
  droppedOtherType: number;
  /** Replies the layers below refused. */
  sendFailed: number;
}

export class IcmpEchoResponder implements Ipv4Upper {
  readonly counters: IcmpCounters = { received: 0, echoRequests: 0, echoReplies: 0, droppedTruncated: 0, droppedBadChecksum: 0, droppedOtherType: 0, sendFailed: 0 };
  private readonly frame: TxFrame = newTxFrame();

  constructor(private readonly ipv4: Ipv4Layer) {
    ipv4.register(PROTOCOL_ICMP, this);
  }

  input(cur: RxCursor, srcIp: number): void {
    this.counters.received++;
    const { buf, start, end } = cur;
    if (end - start < ICMP_HEADER_BYTES) {
      this.counters.droppedTruncated++;
      return;
    }
    // A correct checksum sums to zero over the whole message.
    if (internetChecksum(buf, start, end) !== 0) {
      this.counters.droppedBadChecksum++;
      return;
    }
    if (getType(buf, start) !== ICMP_ECHO_REQUEST || getCode(buf, start) !== 0) {
      this.counters.droppedOtherType++;
      return;
    }
    this.counters.echoRequests++;
    const st = this.ipv4.strategy;
    const f = this.frame;
    st.beginTx(f, end - start, { headroomBytes: this.ipv4.headroomBytes, tailroomBytes: 0 });
    st.copy(buf, start, end, f.buf, f.start);
    setTypeCode(f.buf, f.start, ICMP_ECHO_REPLY, 0);
    setChecksum(f.buf, f.start, 0);
    setChecksum(f.buf, f.start, internetChecksum(f.buf, f.start, f.end));
    if (this.ipv4.send(f, PROTOCOL_ICMP, srcIp)) this.counters.echoReplies++;
    else this.counters.sendFailed++;
  }
}
