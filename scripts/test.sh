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
exec .venv/bin/python -m pytest -q "$@"
