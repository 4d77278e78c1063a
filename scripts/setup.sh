#!/usr/bin/env bash
# Installs the Debian packages buflab uses (allocators, protocol peers, figure tools) and builds the
# malloc-counting shim and the native AEAD addon. As root it runs apt-get; otherwise it prints the exact command to run.
set -euo pipefail
cd "$(dirname "$0")/.."
PKGS=$(node --import tsx -e "import('./scripts/debian-packages.ts').then(m => console.log([...new Set(m.DEBIAN_PEERS.map(p => p.pkg))].join(' ')))")
if [ "$(id -u)" = 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends $PKGS
else
  echo "not root: run this as root to install what buflab uses:"
  echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends $PKGS"
fi
if [ -f scripts/malloc-count/build.sh ]; then bash scripts/malloc-count/build.sh; fi
# As root the packages are there now, so a failure is real; otherwise it says what to install.
if [ "$(id -u)" = 0 ]; then bash stack/crypto/native/build.sh; else bash stack/crypto/native/build.sh --soft; fi
# The memory-knob probe (--param thp=…/arenas=…; allocators/native/build.sh): needs only gcc.
if [ "$(id -u)" = 0 ]; then bash allocators/native/build.sh; else bash allocators/native/build.sh --soft; fi
