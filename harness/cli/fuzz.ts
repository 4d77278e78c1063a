/**
 * `npm run fuzz -- dns|vpn|tls [flags]`: feeds random and mutated packets into a protocol's
 * decoders. A dispatcher only: each workload folder's `fuzz.ts` exports `main(argv)`.
 */
import { dispatch, type DispatchTable } from './dispatch.js';

const FUZZERS: DispatchTable = {
  dns: () => import('../../workloads/dns/fuzz.js'),
  vpn: () => import('../../workloads/vpn/fuzz.js'),
  tls: () => import('../../workloads/tls-proxy/fuzz.js'),
};

const USAGE = `usage: npm run fuzz -- <${Object.keys(FUZZERS).join('|')}> [--count N] [--seed S]
example: npm run fuzz -- dns --count 100000 --seed 7`;

await dispatch({ command: 'fuzz', what: 'protocol', table: FUZZERS, usage: USAGE }, process.argv.slice(2));
