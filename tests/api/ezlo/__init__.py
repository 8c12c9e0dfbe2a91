"""Tests of the Ezlo door (thinggate.api.ezlo)."""
