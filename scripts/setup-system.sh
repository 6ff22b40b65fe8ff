#!/usr/bin/env bash
# Installs and starts what the test suite needs on a Debian machine: Chromium (browser tests),
# PostgreSQL at 127.0.0.1:5432 and Mosquitto at 127.0.0.1:1883. Idempotent: does nothing when
# everything is already there. Fails loudly when something cannot be provided.
set -euo pipefail

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# PyICU (reason screening's Unicode confusables) builds against Debian's ICU.
if ! pkg-config --exists icu-i18n 2>/dev/null || ! command -v g++ >/dev/null; then
  echo "setup-system: installing ICU headers and a C++ compiler for PyICU" >&2
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq libicu-dev pkg-config g++ >/dev/null
fi
[ "${1:-}" = "--build-deps" ] && exit 0

if [ ! -x /usr/bin/chromium ]; then
  echo "setup-system: installing Debian's chromium" >&2
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium >/dev/null
fi

# axe-core (MPL-2.0), which the browser tests inject into every page, from the npm registry into
# a cache outside the repository; never vendored, never loaded by the product.
AXE_VERSION=4.14.1
AXE_DIR="${TRUSTLPR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/trustlpr}/axe-core"
if [ ! -f "$AXE_DIR/node_modules/axe-core/axe.min.js" ] \
    || ! grep -q "\"version\": \"$AXE_VERSION\"" "$AXE_DIR/node_modules/axe-core/package.json"; then
  if ! command -v npm >/dev/null; then
    echo "setup-system: installing Debian's npm (for axe-core)" >&2
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq npm >/dev/null
  fi
  echo "setup-system: installing axe-core $AXE_VERSION into $AXE_DIR" >&2
  mkdir -p "$AXE_DIR"
  npm install --silent --no-save --no-audit --no-fund --prefix "$AXE_DIR" "axe-core@$AXE_VERSION"
fi

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if ! port_open 5432; then
  echo "setup-system: starting PostgreSQL" >&2
  as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
fi
if ! port_open 1883; then
  echo "setup-system: starting Mosquitto" >&2
  as_root mosquitto -d -c /etc/mosquitto/mosquitto.conf
fi
for i in $(seq 1 30); do
  port_open 5432 && port_open 1883 && exit 0
  sleep 1
done
echo "setup-system: PostgreSQL (5432) or Mosquitto (1883) is not reachable on 127.0.0.1" >&2
exit 1
