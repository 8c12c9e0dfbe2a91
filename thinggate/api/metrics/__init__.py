"""The metrics door: `GET /metrics` on the shared HTTP application, in Prometheus' text exposition format.

Requests and their latency per door and method, open connections per door, the event bus's events
published and dropped, the lifecycle outbox's depth, the state of the links integrations and doors
keep (KNX, MQTT), and things per integration. Off unless `[metrics] enabled = true`.
"""
