"""Tests of thinggate.storage: the stores, and what survives a restart or a crash."""
