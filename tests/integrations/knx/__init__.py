"""Tests of the KNX integration (thinggate.integrations.knx)."""
