/**
 * `npm run serve -- dns|vpn|tls [flags]`: runs one workload's stack on real loopback sockets for
 * real clients. A dispatcher only: each workload folder's `serve.ts` exports `main(argv)`.
 */
import { dispatch, type DispatchTable } from './dispatch.js';

const SERVERS: DispatchTable = {
  dns: () => import('../../workloads/dns/serve.js'),
  vpn: () => import('../../workloads/vpn/serve.js'),
  tls: () => import('../../workloads/tls-proxy/serve.js'),
};

const USAGE = `usage: npm run serve -- <${Object.keys(SERVERS).join('|')}> [flags]   (flags: npm run serve -- dns --help)
example: npm run serve -- dns --zone workloads/dns/example.zone --port 5353`;

await dispatch({ command: 'serve', what: 'workload', table: SERVERS, usage: USAGE }, process.argv.slice(2));
