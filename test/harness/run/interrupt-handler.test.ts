import { afterEach, describe, expect, it, vi } from 'vitest';
import { EXIT, installInterruptHandler } from '../../../harness/run/console-run.js';

describe('installInterruptHandler', () => {
  const before = { int: process.listeners('SIGINT'), term: process.listeners('SIGTERM') };
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
    for (const [sig, keep] of [['SIGINT', before.int], ['SIGTERM', before.term]] as const) {
      for (const l of process.listeners(sig)) if (!keep.includes(l)) process.removeListener(sig, l);
    }
  });

  it('aborts on the first signal, ignores the same Ctrl-C delivered twice at once, and leaves on a later second one', () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const controller = installInterruptHandler();
    process.emit('SIGINT');
    expect(controller.signal.aborted).toBe(true);
    // tsx relays the terminal's signal to its child: a copy a few ms later is not a second Ctrl-C.
    vi.advanceTimersByTime(20);
    process.emit('SIGINT');
    expect(exit).not.toHaveBeenCalled();
    vi.advanceTimersByTime(2000);
    process.emit('SIGTERM');
    expect(exit).toHaveBeenCalledWith(EXIT.interrupted);
  });
});
