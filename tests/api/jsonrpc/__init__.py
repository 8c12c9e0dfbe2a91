"""Tests of the nymea JSON-RPC door (thinggate.api.jsonrpc)."""
