"""thinggate: one model of things, served through many integration APIs."""

__version__ = "0.1.0"
