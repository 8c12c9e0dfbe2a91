"""The Ezlo hub door: `hub.*` JSON over WebSocket (ws:// and wss:// on one port), with `ui_broadcast`s."""
