#!/usr/bin/env bash
# Builds the in-place AEAD addon of the `native` crypto backend (stack/crypto/native/buflab-aead.node)
# from aead-addon.c: a plain `cc -shared` against Node-API's headers (node_api.h, no node-gyp: it
# would try to download headers, and only npm and Debian are reachable here) and Debian's OpenSSL
# (libssl-dev), linked statically with its symbols hidden (why: aead-addon.c's header comment).
# Run by `npm ci` (postinstall, with --soft), `npm run setup` and .ci/run; safe to re-run.
#   --soft  never fail: print what is missing and how to fix it, exit 0 (an install must not fail
#           because of an optional backend; its cells are then skipped with this fix).
set -euo pipefail
soft=0
[ "${1:-}" = "--soft" ] && soft=1
cd "$(dirname "$0")"
here=$(pwd)

fail() {
  {
    echo "=================================================================="
    echo "buflab native AEAD addon NOT built: $1"
    echo "  fix: $2"
    echo "  then: bash stack/crypto/native/build.sh"
    echo "  until then, cells with --param crypto=native are skipped"
    echo "=================================================================="
  } >&2
  if [ "$soft" = 1 ]; then exit 0; fi
  exit 1
}

command -v cc >/dev/null 2>&1 || fail "no C compiler" "apt-get install -y gcc"
libcrypto_a=/usr/lib/x86_64-linux-gnu/libcrypto.a
{ [ -f /usr/include/openssl/evp.h ] && [ -f "$libcrypto_a" ]; } || fail "Debian's OpenSSL development files are missing" "apt-get install -y libssl-dev"

# Node-API headers: scripts/node-api-include.sh says where (BUFLAB_NODE_INCLUDE overrides).
node_dir=$(bash ../../../scripts/node-api-include.sh)
[ -n "$node_dir" ] || fail "no Node-API headers (node_api.h) found next to node, in /usr/include/node or node-gyp's cache" \
  "BUFLAB_NODE_INCLUDE=/path/to/include/node bash stack/crypto/native/build.sh (any Node >= 12 headers do: Node-API is ABI-stable)"

# A temporary name per process: two test workers may build at once (as scripts/malloc-count/build.sh).
tmp="buflab-aead.node.tmp.$$"
trap 'rm -f "$tmp"' EXIT
if ! cc -O2 -Wall -Wextra -Werror -fPIC -shared -fvisibility=hidden -I"$node_dir" -o "$tmp" aead-addon.c \
     -Wl,--exclude-libs,ALL "$libcrypto_a" 2>"$tmp.err"; then
  cat "$tmp.err" >&2; rm -f "$tmp.err"
  fail "the compiler failed (output above)" "apt-get install -y gcc libssl-dev, or report the error"
fi
rm -f "$tmp.err"
mv -f "$tmp" buflab-aead.node
echo "native AEAD: built $here/buflab-aead.node (headers: $node_dir)"
