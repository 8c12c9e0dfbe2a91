"""Where the sensor-data door answers on the shared HTTP application."""

PREFIX = "/sensor-data"
"""Every Sensor Data route is below this."""

TOKEN_PATH = "/connect/token"
"""The OAuth2 token endpoint (IMS's path)."""
