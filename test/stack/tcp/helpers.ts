import type { BufferStrategy, TxFrame } from '../../../allocators/buffer-strategy.js';
import { parseMac } from '../../../stack/ethernet/wire.js';
import { parseIpv4 } from '../../../stack/ipv4/wire.js';
import type { FrameReceiver, NetworkDevice } from '../../../stack/link/device.js';
import { MemoryLink } from '../../../stack/link/memory-link.js';
import type { TcpLayerOptions } from '../../../stack/tcp/layer.js';
import { buildTcpStack, type TcpStack } from '../../../stack/tcp/tcp-stack.js';

/** A device that drops the frames `drop(index)` picks (index counts this device's transmits from 0). */
export class LossyDevice implements NetworkDevice {
  transmits = 0;
  dropped = 0;
  constructor(
    private readonly inner: NetworkDevice,
    public drop: (index: number, frame: TxFrame) => boolean,
  ) {}
  get mtuBytes(): number {
    return this.inner.mtuBytes;
  }
  transmit(frame: TxFrame): boolean {
    if (this.drop(this.transmits++, frame)) {
      this.dropped++;
      return true; // lost on the wire: the sender cannot tell
    }
    return this.inner.transmit(frame);
  }
  attach(strategy: BufferStrategy, receiver: FrameReceiver): void {
    this.inner.attach(strategy, receiver);
  }
}

export const IP_A = parseIpv4('10.0.0.1');
export const IP_B = parseIpv4('10.0.0.2');
const MAC_A = parseMac('02:00:00:00:00:01');
const MAC_B = parseMac('02:00:00:00:00:02');

export interface TcpPair {
  link: MemoryLink;
  a: TcpStack;
  b: TcpStack;
  lossA: LossyDevice;
  lossB: LossyDevice;
  clock: { nowMs: number };
  /** Drains the link, then advances the fake clock by `stepMs` and ticks both stacks, `rounds` times or until `until()`. */
  run(until: () => boolean, stepMs?: number, rounds?: number): void;
}

export function makeTcpPair(strategyA: BufferStrategy, strategyB: BufferStrategy, tcp: TcpLayerOptions = {}, tcpB: TcpLayerOptions = tcp): TcpPair {
  const link = new MemoryLink({ mtuBytes: 1500, queueFrames: 256 });
  const clock = { nowMs: 0 };
  const lossA = new LossyDevice(link.a, () => false);
  const lossB = new LossyDevice(link.b, () => false);
  let isn = 1000;
  const a = buildTcpStack({ strategy: strategyA, device: lossA, mac: MAC_A, ip: IP_A, neighbours: [[IP_B, MAC_B]], tcp: { clock: () => clock.nowMs, isn: () => (isn += 7_777_777) >>> 0, ...tcp } });
  const b = buildTcpStack({ strategy: strategyB, device: lossB, mac: MAC_B, ip: IP_B, neighbours: [[IP_A, MAC_A]], tcp: { clock: () => clock.nowMs, isn: () => (isn += 0x7fff_0000) >>> 0, ...tcpB } });
  return {
    link,
    a,
    b,
    lossA,
    lossB,
    clock,
    run(until, stepMs = 0, rounds = 200) {
      for (let i = 0; i < rounds; i++) {
        link.drain();
        if (until()) return;
        clock.nowMs += stepMs;
        a.tcp.tick();
        b.tcp.tick();
      }
      link.drain();
    },
  };
}

export function pattern(n: number, seed = 1): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 131 + seed * 7 + (i >> 8)) & 0xff);
}
