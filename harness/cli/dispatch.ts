/**
 * The one-word dispatcher shared by `npm run serve` and `npm run fuzz`: the first argument names a
 * workload folder's module, whose `main(argv)` gets the rest. Exit codes as everywhere in buflab:
 * 2 for a usage error (no or an unknown first word, or an error whose `code` ends in `_USAGE`, as the
 * workloads' flag parsers throw), 1 for any other failure.
 */
export type DispatchTable = Record<string, () => Promise<{ main(argv: readonly string[]): Promise<void> }>>;

export interface Dispatcher {
  /** `serve` or `fuzz`: the prefix of every message. */
  command: string;
  /** What the first word names, for the refusal ("workload", "protocol"). */
  what: string;
  table: DispatchTable;
  /** Printed for `--help` and with every refusal. */
  usage: string;
}

const USAGE_EXIT = 2;
const FAILURE_EXIT = 1;

/** Runs `argv` through `d`; sets `process.exitCode` rather than exiting, so open handles close. */
export async function dispatch(d: Dispatcher, argv: readonly string[]): Promise<void> {
  const [which, ...rest] = argv;
  if (which === undefined || which === '--help' || which === '-h') {
    console.log(d.usage);
    if (which === undefined) process.exitCode = USAGE_EXIT;
    return;
  }
  const load = d.table[which];
  if (load === undefined) {
    console.error(`${d.command}: unknown ${d.what} '${which}'\n${d.usage}`);
    process.exitCode = USAGE_EXIT;
    return;
  }
  try {
    await (await load()).main(rest);
  } catch (err) {
    // Reported, never swallowed: one line with the error's stable code, and the documented exit code.
    const e = err as { code?: unknown; message?: string };
    const code = typeof e.code === 'string' ? e.code : 'error';
    console.error(`${d.command}: ${code}: ${e.message ?? String(err)}`);
    process.exitCode = code.endsWith('_USAGE') ? USAGE_EXIT : FAILURE_EXIT;
  }
}
