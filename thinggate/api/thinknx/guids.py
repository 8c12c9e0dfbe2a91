"""The Thinknx GUID of a thing (the codec lives in core: the KNX integration spells ids this way too)."""

from thinggate.core.guids import guid_of, thing_id_of

__all__ = ["guid_of", "thing_id_of"]
