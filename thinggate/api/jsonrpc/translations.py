"""Display texts in the connection's language (Hello's `locale`), as nymea translates them.

Catalogues are keyed by language (`de` serves `de_DE`, `de_AT`, ...); a text without a
translation is sent as it is, in English.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

_GERMAN = {
    # integration and vendor
    "Virtual things": "Virtuelle Geräte",
    # test bed
    "Virtual test thing": "Virtuelles Testgerät",
    "Virtual auto thing": "Virtuelles Gerät (automatisch erstellt)",
    "Virtual push-button thing": "Virtuelles Gerät mit Drucktaster-Kopplung",
    "Virtual display-PIN thing": "Virtuelles Gerät mit PIN-Anzeige",
    "Virtual user-and-password thing": "Virtuelles Gerät mit Benutzer und Passwort",
    "Virtual OAuth thing": "Virtuelles OAuth-Gerät",
    "Virtual parent": "Virtuelles Elterngerät",
    "Virtual child": "Virtuelles Kindgerät",
    "Virtual IO pins": "Virtuelle IO-Pins",
    "Virtual IO light": "Virtuelles IO-Licht",
    "Virtual thing with every value type": "Virtuelles Gerät mit allen Werttypen",
    "HTTP port": "HTTP-Port",
    "Set up asynchronously": "Asynchron einrichten",
    "Broken": "Defekt",
    "Setting 1": "Einstellung 1",
    "Dummy int state": "Ganzzahl-Zustand",
    # the house
    "On/off light": "Schaltbares Licht",
    "Dimmable light": "Dimmbares Licht",
    "Venetian blind": "Jalousie",
    "Thermostat": "Thermostat",
    "HVAC unit": "Klimagerät",
    "Analog value": "Analogwert",
    "Scene": "Szene",
    "Button": "Taster",
    "Temperature sensor": "Temperatursensor",
    "Humidity sensor": "Feuchtigkeitssensor",
    "Moisture sensor": "Bodenfeuchtesensor",
    "Light sensor": "Lichtsensor",
    "Energy meter": "Energiezähler",
    "Door lock": "Türschloss",
    "Power": "Eingeschaltet",
    "Brightness": "Helligkeit",
    "Position": "Position",
    "Moving": "In Bewegung",
    "Lamella angle": "Lamellenwinkel",
    "Open": "Öffnen",
    "Close": "Schließen",
    "Stop": "Stopp",
    "Full travel time": "Fahrzeit",
    "Target temperature": "Solltemperatur",
    "Operating mode": "Betriebsart",
    "Week schedule enabled": "Wochenprogramm aktiv",
    "Room temperature": "Raumtemperatur",
    "Mode": "Modus",
    "Fan speed": "Lüfterstufe",
    "Value": "Wert",
    "Minimum": "Minimum",
    "Maximum": "Maximum",
    "Launch": "Starten",
    "Active": "Aktiv",
    "Launched": "Gestartet",
    "Press": "Drücken",
    "Pressed": "Gedrückt",
}

_TRANSLATIONS: dict[str, dict[str, str]] = {"de": _GERMAN}


def _same(text: str) -> str:
    return text


@functools.lru_cache(maxsize=64)  # locales come from clients: keep the cache bounded
def translator(locale: str) -> Callable[[str], str]:
    """A function giving texts in `locale` (e.g. `de_DE`), falling back to English."""
    translations = _TRANSLATIONS.get(locale.replace("-", "_").split("_", 1)[0].lower())
    if translations is None:
        return _same
    return lambda text: translations.get(text, text)
