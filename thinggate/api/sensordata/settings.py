"""The `[sensordata]` section of thinggate.toml: the sensor-data door's settings (cheap to import)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SensorDataConfig:
    """Settings of the sensor-data door (iTwin IoT "Sensor Data" API and its OAuth token endpoint on `[ports] http`)."""

    enabled: bool = True  # false: no /connect/token and no /sensor-data routes
    token_seconds: int = 3600  # how long an access token is valid (`expires_in`)
    requests_per_minute: int = 5000  # per OAuth client, over every route but the token endpoint; then 429
    max_body_bytes: int = 4194304  # larger request bodies are refused with 413 RequestTooLarge
    max_observations: int = 10000  # readings one upload may carry
    max_changes: int = 1000  # devices and sensors one integrate request may name
    page_size: int = 1000  # timestamps one observations answer holds at most

    def check(self) -> None:
        """Raise ValueError naming the first value the door cannot work with."""
        if not isinstance(self.enabled, bool):
            raise ValueError(f"enabled = {self.enabled!r}: must be true or false")
        bounds = {
            "token_seconds": (60, 86400),
            "requests_per_minute": (1, 10_000_000),
            "max_body_bytes": (1024, 1 << 30),
            "max_observations": (1, 1_000_000),
            "max_changes": (1, 1_000_000),
            "page_size": (1, 100_000),
        }
        for name, (low, high) in bounds.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ValueError(f"{name} = {value!r}: must be a whole number from {low} to {high}")
