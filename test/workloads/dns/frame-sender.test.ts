/**
 * FrameSender: answer frames go to node:dgram without a send callback; a frame is released at once
 * when the handle's send queue is empty after `send`, and held until the queue drains otherwise.
 * A fake socket stands in for node:dgram so that "libuv queued the send" can be forced.
 */
import type { Socket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { makeStrategy } from '../../../allocators/registry.js';
import { FrameSender } from '../../../workloads/dns/serve.js';

class FakeSocket {
  queue = 0;
  readonly sent: number[][] = [];
  send(buf: Uint8Array, offset: number, length: number, port: number, address: string): void {
    expect(port).toBe(5300);
    expect(address).toBe('127.0.0.1');
    this.sent.push([...buf.subarray(offset, offset + length)]);
  }
  getSendQueueCount(): number {
    return this.queue;
  }
}

function sendOne(sender: FrameSender, strategy: ReturnType<typeof makeStrategy>, byte: number): void {
  const tx = sender.frame();
  strategy.beginTx(tx, 3, { headroomBytes: 0, tailroomBytes: 0 });
  tx.buf[tx.start] = byte;
  tx.buf[tx.start + 1] = byte;
  tx.buf[tx.start + 2] = byte;
  sender.send(tx, 5300, '127.0.0.1');
}

describe('FrameSender', () => {
  for (const name of ['one-big-struct', 'pooled', 'poisoning'] as const) {
    it(`${name}: releases each frame right after a synchronous send, holds queued ones until the queue drains`, () => {
      const strategy = makeStrategy(name);
      const sock = new FakeSocket();
      const sender = new FrameSender(sock as unknown as Socket, strategy);
      sendOne(sender, strategy, 1);
      sendOne(sender, strategy, 2);
      expect(strategy.counters.releases).toBe(2);
      expect(sender.heldFrames).toBe(0);
      // The kernel buffer is full: libuv queues the next two sends.
      sock.queue = 1;
      sendOne(sender, strategy, 3);
      sock.queue = 2;
      sendOne(sender, strategy, 4);
      expect(sender.heldFrames).toBe(2);
      expect(sender.queuedSends).toBe(2);
      expect(strategy.counters.releases).toBe(2);
      // Still queued: nothing is released when the next frame is taken.
      sock.queue = 1;
      sender.frame();
      expect(strategy.counters.releases).toBe(2);
      // Drained: the held frames are released (once each) before the next answer is built.
      sock.queue = 0;
      sendOne(sender, strategy, 5);
      expect(sender.heldFrames).toBe(0);
      expect(strategy.counters.releases).toBe(5);
      expect(sock.sent).toEqual([1, 2, 3, 4, 5].map((b) => [b, b, b]));
    });
  }

  it('releaseAll on close frees held frames exactly once', () => {
    const strategy = makeStrategy('one-big-struct');
    const sock = new FakeSocket();
    const sender = new FrameSender(sock as unknown as Socket, strategy);
    sock.queue = 1;
    sendOne(sender, strategy, 9);
    expect(sender.heldFrames).toBe(1);
    sender.releaseAll();
    expect(sender.heldFrames).toBe(0);
    expect(strategy.counters.releases).toBe(1);
    sender.releaseAll();
    expect(strategy.counters.releases).toBe(1);
  });
});
