/**
 * The flag reader of the `npm run serve -- dns|vpn|tls` command lines, in one place: flags are read
 * left to right, a flag's value is the next argument, and a missing or out-of-range value throws the
 * command's own usage error (stable code `E_SERVE_USAGE`; `npm run serve` exits 2 for it).
 */
export class FlagReader {
  private index = -1;
  private current = '';

  constructor(
    private readonly argv: readonly string[],
    private readonly help: string,
    private readonly usageError: (message: string) => Error,
  ) {}

  /** The next flag, or undefined when the arguments are exhausted. */
  next(): string | undefined {
    this.index++;
    const flag = this.argv[this.index];
    if (flag !== undefined) this.current = flag;
    return flag;
  }

  /** The current flag's value (the next argument), consumed. */
  value(): string {
    const v = this.argv[this.index + 1];
    if (v === undefined) throw this.usageError(`${this.current} needs a value\n${this.help}`);
    this.index++;
    return v;
  }

  /** The current flag's value as an integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    const v = this.value();
    if (!/^\d+$/.test(v) || Number(v) < lo || Number(v) > hi) throw this.usageError(`${this.current} ${v}: expected an integer ${lo}-${hi}`);
    return Number(v);
  }
}

/**
 * Serves until SIGINT or SIGTERM (or `seconds`, when given), calling `report` every `everyMs` and
 * once more at the end: the foreground loop of `npm run serve` endpoints.
 */
export async function serveUntilStopped(seconds: number | null, report: () => void, everyMs = 5_000): Promise<void> {
  const status = setInterval(report, everyMs);
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (seconds !== null) setTimeout(stop, seconds * 1000).unref();
  });
  clearInterval(status);
  report();
}
