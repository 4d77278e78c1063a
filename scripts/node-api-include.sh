#!/usr/bin/env bash
# Prints the directory holding Node-API's headers (node_api.h) for the repository's C addons
# (stack/crypto/native/build.sh, allocators/native/build.sh), or nothing when none is found:
# BUFLAB_NODE_INCLUDE if given, else the running node's own (official binaries, nvm and NodeSource
# ship them next to bin/), else Debian's /usr/include/node, else node-gyp's cache. Any Node ≥ 12
# headers do: Node-API is ABI-stable. No node-gyp: it would try to download headers.
set -uo pipefail
command -v node >/dev/null 2>&1 || exit 0
exec_path=$(node -p 'process.execPath')
node_version=$(node -p 'process.version.slice(1)')
for d in "${BUFLAB_NODE_INCLUDE:-}" "$(dirname "$(dirname "$exec_path")")/include/node" /usr/include/node \
         "${HOME:-/root}/.cache/node-gyp/$node_version/include/node"; do
  if [ -n "$d" ] && [ -f "$d/node_api.h" ]; then echo "$d"; exit 0; fi
done
