"""Tests of thinggate.api: the listeners and seams every door shares, and what spans doors; one folder per door."""
