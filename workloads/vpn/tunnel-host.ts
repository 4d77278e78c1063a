/**
 * The host inside the tunnel (the seeds' "static website server behind the OpenVPN gateway"), on the
 * project's own stack over a point-to-point link: IPv4 at `localIp`, ICMP echo, UDP echo on port 7
 * (RFC 862), and HTTP/1.1 on port 80 over the project's TCP (`GET /bytes/N`, ./bytes-http.ts).
 * Every buffer goes through `strategy`; the link hands outgoing packets to `transmit` with the
 * carrier's headroom already reserved (the VPN seals them in place).
 *
 * TCP timers run in `tick()` (call it every few ms; the server does every 10 ms).
 */
import { newTxFrame, type BufferStrategy, type RxCursor, type TxFrame } from '../../allocators/buffer-strategy.js';
import { IcmpEchoResponder } from '../../stack/icmp/echo-responder.js';
import { Ipv4Layer } from '../../stack/ipv4/layer.js';
import { PointToPointLink } from '../../stack/link/point-to-point.js';
import { DEFAULT_CONNECTION_OPTIONS, TcpLayer } from '../../stack/tcp/layer.js';
import { UdpLayer } from '../../stack/udp/layer.js';
import { serveBytesHttp, type BytesHttpCounters } from './bytes-http.js';

export const UDP_ECHO_PORT = 7;
export const HTTP_PORT = 80;
/** The bounds of `--tcp-send-buffer` (bytes). */
export const TUNNEL_TCP_SEND_BUFFER_MIN = 4096;
export const TUNNEL_TCP_SEND_BUFFER_MAX = 16 * 1024 * 1024;
/**
 * The default send buffer of the host's TCP connections, bytes: the TCP layer's own default (64 KiB;
 * larger buffers made the real tunnel no faster, README "A real VPN"). At most this much is in flight,
 * so a connection's throughput is at most this per round trip through the tunnel (client openvpn,
 * its tun, the kernel's TCP and back).
 */
export const TUNNEL_TCP_SEND_BUFFER_BYTES = DEFAULT_CONNECTION_OPTIONS.sendBufferBytes;

export interface TunnelHostOptions {
  strategy: BufferStrategy;
  /** Where each connection's TCP buffers come from (see TcpLayerOptions.bufferStrategy). */
  tcpBufferStrategy: BufferStrategy;
  /** Our address and the one peer's, as 32-bit numbers. */
  localIp: number;
  peerIp: number;
  /** The tunnel's MTU (the client's tun-mtu, 1500 by default). */
  mtuBytes: number;
  /** Bytes the carrier prepends (the data channel's header). */
  carrierHeadroomBytes: number;
  /** Takes one IPv4 packet and releases the frame; false when dropped. */
  transmit: (frame: TxFrame) => boolean;
  /** Each TCP connection's send buffer, bytes (default {@link TUNNEL_TCP_SEND_BUFFER_BYTES}). */
  tcpSendBufferBytes?: number;
}

export class TunnelHost {
  readonly link: PointToPointLink;
  readonly ipv4: Ipv4Layer;
  readonly icmp: IcmpEchoResponder;
  readonly udp: UdpLayer;
  readonly tcp: TcpLayer;
  readonly http: BytesHttpCounters;
  private readonly echoFrame: TxFrame = newTxFrame();

  constructor(o: TunnelHostOptions) {
    this.link = new PointToPointLink(o.strategy, o.mtuBytes, o.carrierHeadroomBytes, o.transmit);
    this.ipv4 = new Ipv4Layer(this.link, o.localIp);
    // A point-to-point link has one neighbour; its "MAC" is never written.
    this.ipv4.addNeighbour(o.peerIp, 0);
    this.icmp = new IcmpEchoResponder(this.ipv4);
    this.udp = new UdpLayer(this.ipv4);
    this.udp.bind(UDP_ECHO_PORT, { onDatagram: (p, srcIp, srcPort) => this.echo(p, srcIp, srcPort) });
    this.tcp = new TcpLayer(this.ipv4, { bufferStrategy: o.tcpBufferStrategy, sendBufferBytes: o.tcpSendBufferBytes ?? TUNNEL_TCP_SEND_BUFFER_BYTES });
    this.http = serveBytesHttp(this.tcp, HTTP_PORT);
  }

  /** One IPv4 packet from the tunnel; valid only during the call. */
  input(cur: RxCursor): void {
    this.link.input(cur);
  }

  tick(): void {
    this.tcp.tick();
  }

  private echo(payload: RxCursor, srcIp: number, srcPort: number): void {
    const f = this.echoFrame;
    const n = payload.end - payload.start;
    this.udp.beginDatagram(f, n);
    this.udp.strategy.copy(payload.buf, payload.start, payload.end, f.buf, f.start);
    this.udp.sendTo(f, UDP_ECHO_PORT, srcIp, srcPort);
  }
}
