/**
 * The `npm run serve` / `npm run fuzz` dispatcher: exit 2 for usage errors (no or an unknown first
 * word, a workload's `*_USAGE` error), 1 for any other failure, 0 otherwise; one line on stderr with
 * the error's code. In process, with a fake table (no child, no socket).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { dispatch, type Dispatcher } from '../../../harness/cli/dispatch.js';

let calls: string[][] = [];
let errors: string[] = [];
let logs: string[] = [];
let savedExitCode: typeof process.exitCode;

const fail = (code: string | undefined, message: string): never => {
  throw Object.assign(new Error(message), code === undefined ? {} : { code });
};

const D: Dispatcher = {
  command: 'fuzz',
  what: 'protocol',
  usage: 'usage: npm run fuzz -- <ok|usage|broken|plain>',
  table: {
    ok: async () => ({ main: async (argv) => void calls.push([...argv]) }),
    usage: async () => ({ main: async () => fail('E_FUZZ_USAGE', 'bad argument --x') }),
    broken: async () => ({ main: async () => fail('E_ZONE_INVALID', 'zone is broken') }),
    plain: async () => ({ main: async () => fail(undefined, 'no code at all') }),
  },
};

beforeEach(() => {
  calls = [];
  errors = [];
  logs = [];
  savedExitCode = process.exitCode;
  process.exitCode = undefined;
  vi.spyOn(console, 'error').mockImplementation((m: string) => void errors.push(m));
  vi.spyOn(console, 'log').mockImplementation((m: string) => void logs.push(m));
});

afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = savedExitCode;
});

describe('dispatch', () => {
  it('hands the rest of argv to the named module and leaves the exit code alone', async () => {
    await dispatch(D, ['ok', '--count', '5']);
    expect(calls).toEqual([['--count', '5']]);
    expect(process.exitCode).toBeUndefined();
    expect(errors).toEqual([]);
  });

  it('prints the usage: exit 0 for --help, 2 with no argument', async () => {
    await dispatch(D, ['--help']);
    expect(process.exitCode).toBeUndefined();
    expect(logs).toEqual([D.usage]);
    await dispatch(D, []);
    expect(process.exitCode).toBe(2);
  });

  it('refuses an unknown first word with exit 2, naming it', async () => {
    await dispatch(D, ['nope']);
    expect(process.exitCode).toBe(2);
    expect(errors).toEqual([`fuzz: unknown protocol 'nope'\n${D.usage}`]);
    expect(calls).toEqual([]);
  });

  it('exits 2 for a *_USAGE error and 1 for any other, with the code on stderr', async () => {
    await dispatch(D, ['usage']);
    expect(process.exitCode).toBe(2);
    expect(errors).toEqual(['fuzz: E_FUZZ_USAGE: bad argument --x']);
    await dispatch(D, ['broken']);
    expect(process.exitCode).toBe(1);
    expect(errors[1]).toBe('fuzz: E_ZONE_INVALID: zone is broken');
    await dispatch(D, ['plain']);
    expect(process.exitCode).toBe(1);
    expect(errors[2]).toBe('fuzz: error: no code at all');
  });
});
