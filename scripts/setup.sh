#!/usr/bin/env bash
# Set up a fresh Debian machine with Python 3.11+: Debian packages the tests need, a virtualenv, thinggate.
# Usage: scripts/setup.sh [--test]   (--test also installs the test tools and the real peers)
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

debs=()
python3 -c 'import venv, ensurepip' 2>/dev/null || debs+=(python3-venv)
if [ "$want_test" = 1 ]; then
  # Real peers the tests start themselves (nothing relies on a system service).
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || debs+=(postgresql)
  command -v knxd >/dev/null 2>&1 || debs+=(knxd)
  command -v knxtool >/dev/null 2>&1 || debs+=(knxd-tools)
  command -v curl >/dev/null 2>&1 || debs+=(curl)
  command -v unshare >/dev/null 2>&1 || debs+=(util-linux)
  command -v ip >/dev/null 2>&1 || debs+=(iproute2)
  command -v mosquitto >/dev/null 2>&1 || debs+=(mosquitto)
  command -v mosquitto_sub >/dev/null 2>&1 || debs+=(mosquitto-clients)
  # The browser tests (tests/web/) drive Debian's Chromium through Playwright's executable_path; never
  # `playwright install`, which downloads a browser of its own (and fails on a closed network).
  command -v chromium >/dev/null 2>&1 || debs+=(chromium)
fi
if [ "${#debs[@]}" -gt 0 ]; then
  echo "== installing Debian packages: ${debs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -q
  as_root apt-get install -y -q --no-install-recommends "${debs[@]}"
fi

if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv"
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
if [ "$want_test" = 1 ]; then
  .venv/bin/python -m pip install -q -e '.[test]'
else
  .venv/bin/python -m pip install -q -e .
fi
