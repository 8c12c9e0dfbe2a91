"""The Thinknx Integration Kit door (REST on port 5051): lights, blinds, climate, scenes, raw KNX telegrams."""

from thinggate.api.thinknx.auth import Authenticator
from thinggate.api.thinknx.door import ThinknxDoor, ThinknxSettings
from thinggate.api.thinknx.transport import ThinknxServer

__all__ = ["Authenticator", "ThinknxDoor", "ThinknxServer", "ThinknxSettings"]
