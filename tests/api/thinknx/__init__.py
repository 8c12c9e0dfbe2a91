"""Tests of the Thinknx Integration Kit door (thinggate.api.thinknx)."""
