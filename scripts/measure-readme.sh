#!/usr/bin/env bash
# Re-measures every figure in the README's "Results" section, one command after the other, on a
# machine that should otherwise be quiet (the load average is printed before each step). Writes
# everything to results/readme/ (result files, logs). Takes about 20 minutes on 2 cores.
set -uo pipefail
cd "$(dirname "$0")/.."
out=results/readme
mkdir -p "$out"
step() {
  local name=$1; shift
  echo "== $name: $* (load: $(cut -d' ' -f1-3 /proc/loadavg))" | tee -a "$out/steps.log"
  local t0=$(date +%s)
  "$@" > "$out/$name.log" 2>&1
  local rc=$?
  echo "   exit $rc after $(( $(date +%s) - t0 )) s" | tee -a "$out/steps.log"
}
step alloc-quick npm run bench -- --suite alloc --quick --out "$out/alloc-quick.json"
step alloc-1500-ring npm run bench -- --suite alloc --strategy uint8array --allocator glibc,jemalloc,tcmalloc,mimalloc --size 1500 --param ring=1,1024 --v8 default --forks 5 --warmup 500 --duration 1500 --out "$out/alloc-1500.json" --no-report
step bare-alloc npx tsx scripts/bare-alloc-loop.ts --size 1024 --duration-ms 3000
step harness-alloc npm run bench -- --suite alloc --strategy uint8array --allocator glibc --size 1024 --v8 default --forks 3 --warmup 1000 --duration 3000 --out "$out/alloc-1024.json" --no-report
step bare-alloc-2 npx tsx scripts/bare-alloc-loop.ts --size 1024 --duration-ms 3000
step vpn-quick npm run bench -- --suite vpn --quick --out "$out/vpn-quick.json"
step dns-quick npm run bench -- --suite dns --quick --out "$out/dns-quick.json"
step tls-quick npm run bench -- --suite tls --quick --out "$out/tls-quick.json"
step bench-vpn npx tsx scripts/bench-vpn.ts --rounds 3 --ms 1500
step bench-dns-memory npx tsx scripts/bench-dns-memory.ts
step bench-dns-socket npx tsx scripts/bench-dns-socket.ts --rounds 3 --seconds 5
step bench-tls npx tsx scripts/bench-tls.ts
step open-loop npx tsx scripts/open-loop-check.ts
echo "done: logs and results in $out/"
