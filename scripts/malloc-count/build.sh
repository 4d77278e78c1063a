#!/usr/bin/env bash
# Builds the malloc-counting shim used by `npm run profile -- --tool malloc`
# (scripts/malloc-count/libbuflab-malloc-count.so). Called by `npm run setup`; safe to re-run.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v cc >/dev/null 2>&1; then
  echo "malloc-count: no C compiler: install gcc (apt-get install -y gcc) and run 'npm run setup' again" >&2
  exit 1
fi
cc -O2 -Wall -Wextra -Werror -fexceptions -shared -fPIC -o libbuflab-malloc-count.so.tmp malloc-count.c -ldl
mv -f libbuflab-malloc-count.so.tmp libbuflab-malloc-count.so
echo "malloc-count: built $(pwd)/libbuflab-malloc-count.so"
