"""The hub's MQTT broker connection settings, shared by what speaks MQTT (MQTT things, lifecycle events).

Below the doors and the integrations (both may import it), above nothing but the standard library
and, lazily, aiomqtt: a hub without `[mqtt] url` never loads an MQTT client.
"""
