#!/usr/bin/env bash
# Builds the malloc-counting shim used by `npm run profile -- --tool malloc`
# (scripts/malloc-count/libbuflab-malloc-count.so). Called by `npm run setup`; safe to re-run.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v cc >/dev/null 2>&1; then
  echo "malloc-count: no C compiler: install gcc (apt-get install -y gcc) and run 'npm run setup' again" >&2
  exit 1
fi
# A temporary name per process: two test files build it at the same time (vitest runs two workers),
# and a shared temporary name would let one rename the other's half-written file into place.
tmp="libbuflab-malloc-count.so.tmp.$$"
trap 'rm -f "$tmp"' EXIT
cc -O2 -Wall -Wextra -Werror -fexceptions -shared -fPIC -o "$tmp" malloc-count.c -ldl
mv -f "$tmp" libbuflab-malloc-count.so
echo "malloc-count: built $(pwd)/libbuflab-malloc-count.so"
