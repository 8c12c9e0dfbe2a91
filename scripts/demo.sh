#!/usr/bin/env bash
# Set everything up and run the hub with the demo house on SQLite (data in ./data). Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/thinggate serve --demo --data-dir ./data "$@"
