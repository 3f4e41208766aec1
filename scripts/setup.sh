#!/usr/bin/env bash
# Installs the Debian packages evlite builds against, and only those that are missing, so that a
# second run (and every `make` after the first) costs a few dpkg look-ups and no network.
set -euo pipefail

packages=(
  cmake g++ make
  libsqlite3-dev sqlite3 libsqlitecpp-dev
  nlohmann-json3-dev libfmt-dev doctest-dev
  libssl-dev libcli11-dev libsimdjson-dev
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "evlite setup: installing ${missing[*]}" >&2
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "evlite setup: need root or sudo to install ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
"${sudo[@]}" apt-get update -qq
# Through env: sudo's env_reset would drop a DEBIAN_FRONTEND set in front of it.
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
