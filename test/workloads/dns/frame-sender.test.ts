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
  /** Both forms node:dgram takes: `(buf, offset, length, port, address)` and `(buf, port, address)` (the whole of `buf`). */
  send(buf: Uint8Array, a: number, b: number | string, c?: number, d?: string): void {
    const [offset, length, port, address] = typeof b === 'string' ? [0, buf.length, a, b] : [a, b, c, d];
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

  it('one-big-struct: answers built at the same arena offset are sent through one kept view per length, each view counted once', () => {
    const strategy = makeStrategy('one-big-struct');
    const sock = new FakeSocket();
    const sender = new FrameSender(sock as unknown as Socket, strategy);
    for (let i = 0; i < 5; i++) sendOne(sender, strategy, i);
    // First send: offset form (node's view, counted) and the place is noted; second: the kept view
    // for length 3 is made (counted); the other three reuse it.
    expect(sender.spanSends).toBe(4);
    expect(strategy.counters.foreignAllocations).toBe(2);
    expect(strategy.counters.foreignBytes).toBe(0);
    expect(sock.sent).toEqual([0, 1, 2, 3, 4].map((b) => [b, b, b]));
    // Another length: one more view; while frames are held, frames elsewhere take the offset form.
    const tx = sender.frame();
    strategy.beginTx(tx, 2, { headroomBytes: 0, tailroomBytes: 0 });
    tx.buf[tx.start] = 7;
    tx.buf[tx.start + 1] = 7;
    sender.send(tx, 5300, '127.0.0.1');
    expect(strategy.counters.foreignAllocations).toBe(3);
    sock.queue = 1;
    sendOne(sender, strategy, 8);
    sendOne(sender, strategy, 9);
    expect(sender.heldFrames).toBe(2);
    expect(sender.spanSends).toBe(6);
    expect(strategy.counters.foreignAllocations).toBe(4);
    expect(sock.sent.slice(-3)).toEqual([[7, 7], [8, 8, 8], [9, 9, 9]]);
  });

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

/**
 * Like libuv: a send that cannot go out at once keeps a reference to the caller's bytes and reads
 * them only when it completes. So a frame released (or a kept span view rewritten) while its send is
 * queued shows up as wrong bytes — under `poisoning` released memory is scribbled over at once.
 */
class LazySocket {
  private readonly pending: Array<{ buf: Uint8Array; offset: number; length: number }> = [];
  readonly sent: number[][] = [];
  readonly views: Uint8Array[] = [];
  send(buf: Uint8Array, a: number, b: number | string, c?: number): void {
    const [offset, length, port] = typeof b === 'string' ? [0, buf.length, a] : [a, b, c];
    expect(port).toBe(5300);
    this.views.push(buf);
    this.pending.push({ buf, offset, length });
    if (this.pending.length === 1 && !this.full) this.complete();
  }
  /** The kernel's buffer is full: sends stay queued until {@link complete}. */
  full = false;
  complete(): void {
    for (const p of this.pending) this.sent.push([...p.buf.subarray(p.offset, p.offset + p.length)]);
    this.pending.length = 0;
  }
  getSendQueueCount(): number {
    return this.pending.length;
  }
}

describe('FrameSender with sends queued in the socket', () => {
  for (const [label, make] of [
    ['one-big-struct', () => makeStrategy('one-big-struct')],
    ['poisoning(one-big-struct)', () => makeStrategy('poisoning', { inner: 'one-big-struct' })],
    ['pooled', () => makeStrategy('pooled')],
    ['poisoning(pooled)', () => makeStrategy('poisoning', { inner: 'pooled' })],
  ] as const) {
    it(`${label}: a queued frame (kept view or not) is neither released nor rebuilt in place before its send completes`, () => {
      const strategy = make();
      const sock = new LazySocket();
      const sender = new FrameSender(sock as unknown as Socket, strategy);
      sendOne(sender, strategy, 1);
      sendOne(sender, strategy, 2);
      const spanBefore = sender.spanSends;
      sock.full = true;
      // Queued: the first at the steady-state place (a kept view under one-big-struct), then more
      // frames built while it is held — they must go elsewhere and leave its bytes alone.
      for (const b of [3, 4, 5, 6]) sendOne(sender, strategy, b);
      expect(sender.heldFrames).toBe(4);
      expect(strategy.counters.releases).toBe(2);
      if (label.includes('one-big-struct')) {
        expect(sender.spanSends).toBe(spanBefore + 1);
        // The queued kept view is a view of the arena, not a copy.
        expect(sock.views[2]!.buffer).toBe(sock.views[0]!.buffer);
      }
      sock.full = false;
      sock.complete();
      expect(sock.sent).toEqual([1, 2, 3, 4, 5, 6].map((b) => [b, b, b]));
      // Drained: held frames are released before the next one is built, and the kept view is used again.
      sendOne(sender, strategy, 7);
      sendOne(sender, strategy, 8);
      expect(sender.heldFrames).toBe(0);
      expect(strategy.counters.releases).toBe(8);
      expect(sock.sent.slice(-2)).toEqual([[7, 7, 7], [8, 8, 8]]);
    });
  }
});
