/**
 * `npm run fuzz -- dns|vpn|tls [flags]`: feeds random and mutated packets into a protocol's
 * decoders. A dispatcher only: each workload folder's `fuzz.ts` exports `main(argv)`.
 */
const FUZZERS: Record<string, () => Promise<{ main(argv: readonly string[]): Promise<void> }>> = {
  dns: () => import('../../workloads/dns/fuzz.js'),
  vpn: () => import('../../workloads/vpn/fuzz.js'),
  tls: () => import('../../workloads/tls-proxy/fuzz.js'),
  // vpn and tls: one line each, added by their workload's engineer.
};

const USAGE = `usage: npm run fuzz -- <${Object.keys(FUZZERS).join('|')}> [--count N] [--seed S]
example: npm run fuzz -- dns --count 100000 --seed 7`;

async function run(argv: readonly string[]): Promise<void> {
  const [which, ...rest] = argv;
  if (which === undefined || which === '--help' || which === '-h') {
    console.log(USAGE);
    if (which === undefined) process.exitCode = 2;
    return;
  }
  const load = FUZZERS[which];
  if (load === undefined) {
    console.error(`fuzz: unknown protocol '${which}'\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  await (await load()).main(rest);
}

run(process.argv.slice(2)).catch((err: unknown) => {
  const e = err as { code?: string; message?: string };
  console.error(`fuzz: ${e.code ?? 'error'}: ${e.message ?? String(err)}`);
  process.exitCode = 1;
});
