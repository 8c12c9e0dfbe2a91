"""nymea's Integrations behaviours (reference/nymea-jsonrpc.md §6, items 18-57) through the wire.

Every call is a real JSON-RPC request over a real TCP or WebSocket connection, every expectation is
checked on the JSON reply, and the notifications each behaviour produces are received by the client.
The server checks every reply and notification against nymea-api.json (check_replies), so a shape
that does not match nymea's declaration turns into an "Internal error" reply that call() catches.
"""
