/**
 * The `--count N --seed S` command line of the dns and tls fuzzers (`npm run fuzz -- dns|tls`),
 * parsed in one place. A bad argument throws an error with the stable code `E_FUZZ_USAGE`
 * (`npm run fuzz` exits 2 for it).
 */
export interface CountSeed {
  count: number;
  seed: number;
}

/** `null` after printing `help` for `--help` / `-h`; otherwise the parsed (or default) values. */
export function parseCountSeed(protocol: string, argv: readonly string[], defaults: CountSeed, help: string): CountSeed | null {
  const out = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const v = argv[i + 1];
    if (flag === '--help' || flag === '-h') {
      console.log(help);
      return null;
    }
    if ((flag === '--count' || flag === '--seed') && v !== undefined && /^\d+$/.test(v)) {
      if (flag === '--count') out.count = Number(v);
      else out.seed = Number(v);
      i++;
    } else {
      throw Object.assign(new Error(`fuzz ${protocol}: bad argument '${flag}${v === undefined ? '' : ' ' + v}'; use --count N --seed S`), { code: 'E_FUZZ_USAGE' });
    }
  }
  return out;
}
