#!/usr/bin/env bash
# Set everything up (Debian packages, virtualenv) and run the whole test suite with lint and types.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
echo "== ruff"
.venv/bin/ruff check thinggate tests bench
echo "== mypy --strict thinggate/core"
.venv/bin/mypy thinggate/core
echo "== pytest"
if [ "$#" -gt 0 ]; then
  exec .venv/bin/python -m pytest -q "$@"
fi
.venv/bin/python -m pytest -q -m "not knxd"
# The knxd tests need a private network namespace (knxd joins the KNX multicast group): see
# ../shared/reference/thinknx-knx.md §3 and scripts/knx-netns.sh.
echo "== pytest -m knxd (inside a private network namespace)"
exec scripts/knx-netns.sh .venv/bin/python -m pytest -q -m knxd
