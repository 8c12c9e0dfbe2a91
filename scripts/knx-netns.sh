#!/bin/sh
# Run a command inside a private network namespace where knxd and its clients can talk KNX/IP
# over loopback only (docs: /work/shared/reference/thinknx-knx.md §3).
#
# knxd's ets_router always joins the KNX multicast group and asks the kernel for a route to it
# that carries a preferred source address; in a fresh namespace that route must be added by
# hand, and nothing sent there can leave the machine.
#
#   scripts/knx-netns.sh .venv/bin/python -m pytest -q -m knxd
set -eu
if [ "$#" -eq 0 ]; then
    echo "usage: $0 COMMAND [ARG...]" >&2
    exit 2
fi
if [ "${THINGGATE_KNX_NETNS:-}" = "1" ]; then
    # Already inside one (nested call): a second namespace would cut us off from the first's knxd.
    exec "$@"
fi
exec unshare -n -- sh -c '
    set -eu
    ip link set lo up
    ip link set lo multicast on
    ip route add 224.0.0.0/4 dev lo src 127.0.0.1
    THINGGATE_KNX_NETNS=1
    export THINGGATE_KNX_NETNS
    exec "$@"
' knx-netns "$@"
