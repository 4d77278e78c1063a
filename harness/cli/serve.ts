/**
 * `npm run serve -- dns|vpn|tls [flags]`: runs one workload's stack on real loopback sockets for
 * real clients. A dispatcher only: each workload folder's `serve.ts` exports `main(argv)`.
 */
const SERVERS: Record<string, () => Promise<{ main(argv: readonly string[]): Promise<void> }>> = {
  dns: () => import('../../workloads/dns/serve.js'),
  vpn: () => import('../../workloads/vpn/serve.js'),
  tls: () => import('../../workloads/tls-proxy/serve.js'),
  // vpn and tls: one line each, added by their workload's engineer.
};

const USAGE = `usage: npm run serve -- <${Object.keys(SERVERS).join('|')}> [flags]   (flags: npm run serve -- dns --help)
example: npm run serve -- dns --zone workloads/dns/example.zone --port 5353`;

async function run(argv: readonly string[]): Promise<void> {
  const [which, ...rest] = argv;
  if (which === undefined || which === '--help' || which === '-h') {
    console.log(USAGE);
    if (which === undefined) process.exitCode = 2;
    return;
  }
  const load = SERVERS[which];
  if (load === undefined) {
    console.error(`serve: unknown workload '${which}'\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  await (await load()).main(rest);
}

run(process.argv.slice(2)).catch((err: unknown) => {
  const e = err as { code?: string; message?: string };
  console.error(`serve: ${e.code ?? 'error'}: ${e.message ?? String(err)}`);
  process.exitCode = 1;
});
