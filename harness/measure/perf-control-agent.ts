/**
 * Preloaded (`--import`) into a child that runs under `perf stat -D -1 --control fifo:CTL,ACK`
 * (`npm run bench -- --count-instructions`, see ./perf-stat.ts), or under valgrind's callgrind with
 * the parent on the other end of the same two fifos (./callgrind.ts, which answers by switching
 * callgrind's instrumentation with vgdb): it turns the counter on when the child announces its
 * measured phase (harness/profile/measured-phase.ts) and off when the phase ends.
 *
 * Synchronous on purpose: the 'start' listener runs inside `measuredPhaseStart()`, so blocking on
 * perf's `ack` here means the measured loop cannot begin before counting does, and the 'end'
 * listener returns only once counting has stopped. It does nothing when {@link PERF_CTL_ENV} is unset.
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { onMeasuredPhase } from '../profile/measured-phase.js';
import { PERF_ACK_ENV, PERF_CTL_ENV } from './perf-stat.js';

function main(): void {
  const ctlPath = process.env[PERF_CTL_ENV];
  const ackPath = process.env[PERF_ACK_ENV];
  if (ctlPath === undefined || ctlPath === '' || ackPath === undefined || ackPath === '') return;
  // The child's own children must not talk to this perf session.
  delete process.env[PERF_CTL_ENV];
  delete process.env[PERF_ACK_ENV];
  // perf holds both fifos open (O_RDWR), so neither open blocks.
  const ctl = openSync(ctlPath, 'w');
  const ack = openSync(ackPath, 'r');
  let state: 'idle' | 'counting' | 'done' = 'idle';
  const command = (cmd: 'enable' | 'disable'): void => {
    writeSync(ctl, `${cmd}\n`);
    const buf = Buffer.alloc(64);
    let got = '';
    while (!got.includes('\n')) {
      const n = readSync(ack, buf, 0, buf.length, null);
      if (n === 0) throw new Error(`the counter (perf, or the parent driving callgrind) closed its ack fifo before acknowledging '${cmd}'`);
      // perf 6.1 writes the C string "ack\n" with its terminating NUL; a NUL may also trail the previous ack.
      got += buf.toString('latin1', 0, n).replaceAll('\0', '');
    }
    if (got.trim() !== 'ack') throw new Error(`the counter (perf, or the parent driving callgrind) answered '${got.trim()}' to '${cmd}' (expected 'ack')`);
  };
  const unsubscribe = onMeasuredPhase((event) => {
    if (event.phase === 'start' && state === 'idle') {
      command('enable');
      state = 'counting';
    } else if (event.phase === 'end' && state === 'counting') {
      command('disable');
      state = 'done';
      unsubscribe();
      closeSync(ctl);
      closeSync(ack);
    }
  });
}

main();
