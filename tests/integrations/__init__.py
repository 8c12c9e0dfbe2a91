"""Tests of thinggate.integrations, one folder per integration."""
