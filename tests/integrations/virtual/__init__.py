"""Tests of the virtual integration (thinggate.integrations.virtual): the simulated house and its hooks."""
