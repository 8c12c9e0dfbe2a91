"""Tests of thinggate.core: the hub, its model, events, security and the rules every door shares."""
