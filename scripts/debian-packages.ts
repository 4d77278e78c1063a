/**
 * The Debian packages this project uses, in one place: `npm run setup`, `.ci/run`'s check and the
 * tests' peer look-ups all read this list, so an install command printed anywhere is the same one.
 */
export interface DebianPeer {
  /** Executable or file whose presence proves the package is installed. */
  probe: string;
  pkg: string;
  why: string;
}

export const DEBIAN_PEERS: readonly DebianPeer[] = [
  { probe: '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2', pkg: 'libjemalloc2', why: 'jemalloc allocator axis' },
  { probe: '/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4', pkg: 'libtcmalloc-minimal4', why: 'tcmalloc allocator axis' },
  { probe: '/usr/lib/x86_64-linux-gnu/libmimalloc.so.2', pkg: 'libmimalloc2.0', why: 'mimalloc allocator axis' },
  { probe: 'rsvg-convert', pkg: 'librsvg2-bin', why: 'SVG to PNG/PDF figures' },
  { probe: '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', pkg: 'fonts-dejavu-core', why: 'fonts embedded in figures' },
  { probe: 'pdffonts', pkg: 'poppler-utils', why: 'PDF checks in tests' },
  { probe: 'dig', pkg: 'dnsutils', why: 'DNS peer (dig)' },
  { probe: 'kdig', pkg: 'knot-dnsutils', why: 'DNS peer (kdig)' },
  { probe: 'dnsperf', pkg: 'dnsperf', why: 'DNS load peer' },
  { probe: 'knotd', pkg: 'knot', why: 'DNS performance peer (Knot)' },
  { probe: 'openssl', pkg: 'openssl', why: 'TLS peer and test certificates' },
  { probe: 'wrk', pkg: 'wrk', why: 'HTTP load generator for the serve tls soak' },
  { probe: 'curl', pkg: 'curl', why: 'HTTPS client through serve tls' },
  { probe: 'openvpn', pkg: 'openvpn', why: 'VPN data-channel peer' },
  { probe: 'chromium', pkg: 'chromium', why: 'report checks in headless Chromium' },
  { probe: 'cc', pkg: 'gcc', why: 'builds the malloc-counting shim' },
  { probe: 'perf', pkg: 'linux-perf', why: 'instruction counts (npm run bench -- --count-instructions)' },
  { probe: 'valgrind', pkg: 'valgrind', why: 'instruction counts without hardware counters (callgrind: --count-instructions on VMs)' },
];

export const SETUP_COMMAND = 'npm run setup';
