/**
 * Serves a `DnsServer` on a UDP port of the in-memory stack: each query's answer is written straight
 * into a frame from the endpoint's strategy (with headroom for UDP/IPv4/Ethernet), trimmed to the
 * bytes written, and sent back to the querier.
 */
import { newTxFrame, type RxCursor } from '../../allocators/buffer-strategy.js';
import type { UdpLayer, UdpListener } from '../udp/layer.js';
import type { DnsServer } from './server.js';

export class DnsUdpService implements UdpListener {
  private readonly frame = newTxFrame();

  constructor(
    private readonly udp: UdpLayer,
    readonly server: DnsServer,
    readonly port = 53,
  ) {
    udp.bind(port, this);
  }

  onDatagram(payload: RxCursor, srcIp: number, srcPort: number, _dstPort: number): void {
    const server = this.server;
    let cap = server.prepare(payload.buf, payload.start, payload.end);
    if (cap < 0) return;
    // No IP fragmentation here: a response never exceeds one frame (it is truncated instead).
    if (cap > this.udp.maxPayloadBytes) cap = this.udp.maxPayloadBytes;
    const f = this.frame;
    this.udp.beginDatagram(f, cap);
    const end = server.write(f.buf, f.start, cap);
    this.udp.strategy.truncate(f, end - f.start);
    this.udp.sendTo(f, this.port, srcIp, srcPort);
  }

  close(): void {
    this.udp.unbind(this.port);
  }
}
