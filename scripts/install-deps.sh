#!/usr/bin/env bash
# Install what vetmap needs to build, run and test, from Debian 12's packages
# and the npm registry.  Idempotent: does nothing when all is there.
#   scripts/install-deps.sh          build + run + test dependencies
#   scripts/install-deps.sh bench    also wrk and hyperfine for `make bench`
set -euo pipefail
cd "$(dirname "$0")/.."

pkgs=(build-essential pkg-config
      libgdal-dev gdal-bin libproj-dev proj-bin proj-data libgeos-dev
      libsqlite3-dev sqlite3 libspatialite-dev libsqlite3-mod-spatialite spatialite-bin
      libmicrohttpd-dev libcjson-dev libsodium-dev libutf8proc-dev zlib1g-dev
      faketime nodejs npm chromium curl ca-certificates)
[ "${1:-}" = bench ] && pkgs+=(wrk hyperfine python3)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# A machine may bring its own node/npm outside Debian's packages: keep those.
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -d node_modules/ol ] || [ ! -d node_modules/playwright-core ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "install-deps: npm ci"
  npm ci --no-audit --no-fund
fi
