/**
 * The host at 10.8.0.1 in memory, under every buffer strategy: a client stack of our own
 * (point-to-point link, IPv4 10.8.0.2, ICMP receiver, UDP, TCP) on the other end of the link gets
 * ICMP echo replies with its identifier, sequence and data; its UDP datagram to port 7 comes back;
 * `GET /bytes/N` twice on one kept-alive TCP connection answers N bytes of i mod 256 each time,
 * anything else 404, and `Connection: close` closes after the answer. A corrupted echo request
 * (bad checksum) is dropped and counted.
 */
import { describe, expect, it } from 'vitest';
import { newTxFrame, type RxCursor, type TxFrame } from '../../../allocators/buffer-strategy.js';
import { makeStrategy } from '../../../allocators/registry.js';
import { internetChecksum } from '../../../stack/checksum.js';
import { Ipv4Layer } from '../../../stack/ipv4/layer.js';
import { PROTOCOL_ICMP } from '../../../stack/ipv4/wire.js';
import { PointToPointLink } from '../../../stack/link/point-to-point.js';
import { TcpLayer } from '../../../stack/tcp/layer.js';
import { UdpLayer } from '../../../stack/udp/layer.js';
import { TunnelHost } from '../../../workloads/vpn/tunnel-host.js';
import { STRATEGY_CASES } from '../../stack/strategies.js';

const HOST = 0x0a08_0001;
const CLIENT = 0x0a08_0002;

function setup(make: () => ReturnType<typeof makeStrategy>) {
  const toClient: Uint8Array[] = [];
  const toHost: Uint8Array[] = [];
  const carry = (queue: Uint8Array[], st: ReturnType<typeof makeStrategy>) => (f: TxFrame): boolean => {
    queue.push(f.buf.slice(f.start, f.end));
    st.releaseTx(f);
    return true;
  };
  const hostStrategy = make();
  const host = new TunnelHost({ strategy: hostStrategy, tcpBufferStrategy: make(), localIp: HOST, peerIp: CLIENT, mtuBytes: 1500, carrierHeadroomBytes: 24, transmit: carry(toClient, hostStrategy) });
  const clientStrategy = makeStrategy('pooled');
  const link = new PointToPointLink(clientStrategy, 1500, 0, carry(toHost, clientStrategy));
  const ipv4 = new Ipv4Layer(link, CLIENT);
  ipv4.addNeighbour(HOST, 0);
  const icmpIn: Uint8Array[] = [];
  ipv4.register(PROTOCOL_ICMP, { input: (cur: RxCursor) => void icmpIn.push(cur.buf.slice(cur.start, cur.end)) });
  const udp = new UdpLayer(ipv4);
  const tcp = new TcpLayer(ipv4);
  const pump = (): void => {
    for (let i = 0; i < 10_000 && (toClient.length > 0 || toHost.length > 0); i++) {
      const h = toHost.shift();
      if (h !== undefined) host.input({ buf: h, start: 0, end: h.length });
      const c = toClient.shift();
      if (c !== undefined) link.input({ buf: c, start: 0, end: c.length });
    }
  };
  return { host, ipv4, udp, tcp, icmpIn, pump, clientStrategy };
}

function echoRequest(id: number, seq: number, data: string, corrupt = false): Uint8Array {
  const d = Buffer.from(data);
  const m = new Uint8Array(8 + d.length);
  m[0] = 8;
  m[4] = id >> 8;
  m[5] = id & 0xff;
  m[6] = seq >> 8;
  m[7] = seq & 0xff;
  m.set(d, 8);
  const c = internetChecksum(m, 0, m.length);
  m[2] = c >> 8;
  m[3] = (c & 0xff) ^ (corrupt ? 1 : 0);
  return m;
}

const pattern = (n: number): Buffer => Buffer.from(Uint8Array.from({ length: n }, (_, i) => i & 0xff));

for (const s of STRATEGY_CASES) {
  describe(`tunnel host under ${s.name}`, () => {
    it('answers ICMP echo, drops a corrupted request, echoes UDP on port 7', () => {
      const t = setup(s.make);
      const f: TxFrame = newTxFrame();
      for (const [req, corrupt] of [[echoRequest(0x1234, 1, 'ping-data'), false], [echoRequest(0x1234, 2, 'bad', true), true]] as const) {
        t.clientStrategy.beginTx(f, req.length, { headroomBytes: t.ipv4.headroomBytes, tailroomBytes: 0 });
        f.buf.set(req, f.start);
        t.ipv4.send(f, PROTOCOL_ICMP, HOST);
        t.pump();
        if (corrupt) expect(t.host.icmp.counters.droppedBadChecksum).toBe(1);
      }
      expect(t.icmpIn.length).toBe(1);
      const reply = t.icmpIn[0]!;
      expect(reply[0]).toBe(0);
      expect(internetChecksum(reply, 0, reply.length)).toBe(0);
      expect(Buffer.from(reply.subarray(4))).toEqual(Buffer.from(echoRequest(0x1234, 1, 'ping-data').subarray(4)));

      const got: string[] = [];
      t.udp.bind(40000, { onDatagram: (p, src, srcPort) => void got.push(`${src.toString(16)}:${srcPort}:${Buffer.from(p.buf.subarray(p.start, p.end)).toString()}`) });
      t.udp.beginDatagram(f, 5);
      f.buf.set(Buffer.from('hello'), f.start);
      t.udp.sendTo(f, 40000, HOST, 7);
      t.pump();
      expect(got).toEqual(['a080001:7:hello']);
    });

    it('serves GET /bytes/N twice on one kept-alive connection, 404 otherwise, closes on Connection: close', () => {
      const t = setup(s.make);
      let received = Buffer.alloc(0);
      let closed = false;
      const conn = t.tcp.connect(HOST, 80, {
        onData: (b, st, e) => void (received = Buffer.concat([received, Buffer.from(b.subarray(st, e))])),
        onEnd: () => conn.close(),
        onClose: () => void (closed = true),
      });
      t.pump();
      const ask = (req: string): void => {
        const b = Buffer.from(req, 'latin1');
        conn.write(b, 0, b.length);
        t.pump();
      };
      const head = (n: number, close = false): string => `HTTP/1.1 200 OK\r\nContent-Length: ${n}\r\nContent-Type: application/octet-stream\r\n${close ? 'Connection: close\r\n' : ''}\r\n`;
      ask('GET /bytes/300000 HTTP/1.1\r\nHost: 10.8.0.1\r\n\r\n');
      for (let i = 0; i < 200 && received.length < head(300000).length + 300000; i++) t.pump();
      expect(received.subarray(0, head(300000).length).toString('latin1')).toBe(head(300000));
      expect(received.subarray(head(300000).length).equals(pattern(300000))).toBe(true);
      received = Buffer.alloc(0);
      ask('GET /nothing HTTP/1.1\r\nHost: 10.8.0.1\r\n\r\n');
      expect(received.toString('latin1')).toMatch(/^HTTP\/1\.1 404 Not Found\r\nContent-Length: 0\r\n/);
      received = Buffer.alloc(0);
      ask('GET /bytes/1000 HTTP/1.1\r\nHost: 10.8.0.1\r\nConnection: close\r\n\r\n');
      expect(received.subarray(0, head(1000, true).length).toString('latin1')).toBe(head(1000, true));
      expect(received.subarray(head(1000, true).length).equals(pattern(1000))).toBe(true);
      expect(closed).toBe(true);
      expect(t.host.http).toMatchObject({ connections: 1, requests: 3, notFound: 1, bytesServed: 301000 });
    });
  });
}
