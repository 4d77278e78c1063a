#!/usr/bin/env bash
# Builds the memory-knob probe (allocators/native/buflab-memory-probe.node) from memory-probe.c: a
# plain `cc -shared` against Node-API's headers (scripts/node-api-include.sh finds them, as for the
# AEAD addon; no node-gyp: it would try to download headers). Needed only by cells with --param thp=… or
# --param arenas=… (allocators/memory-knobs.ts); without it those cells are skipped with this command.
# Run by `npm run setup` and .ci/run; safe to re-run.
#   --soft  never fail: print what is missing and how to fix it, exit 0.
set -euo pipefail
soft=0
[ "${1:-}" = "--soft" ] && soft=1
cd "$(dirname "$0")"
here=$(pwd)

fail() {
  echo "buflab memory-knob probe NOT built: $1 (fix: $2; then: bash allocators/native/build.sh)" >&2
  if [ "$soft" = 1 ]; then exit 0; fi
  exit 1
}

command -v cc >/dev/null 2>&1 || fail "no C compiler" "apt-get install -y gcc"
node_dir=$(bash ../../scripts/node-api-include.sh)
[ -n "$node_dir" ] || fail "no Node-API headers (node_api.h)" "BUFLAB_NODE_INCLUDE=/path/to/include/node"

tmp="buflab-memory-probe.node.tmp.$$"
trap 'rm -f "$tmp" "$tmp.err"' EXIT
if ! cc -O2 -Wall -Wextra -Werror -fPIC -shared -fvisibility=hidden -I"$node_dir" -o "$tmp" memory-probe.c -ldl 2>"$tmp.err"; then
  cat "$tmp.err" >&2
  fail "the compiler failed (output above)" "apt-get install -y gcc, or report the error"
fi
mv -f "$tmp" buflab-memory-probe.node
echo "memory-knob probe: built $here/buflab-memory-probe.node (headers: $node_dir)"
