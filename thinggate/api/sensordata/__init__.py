"""The sensor-data door: Bentley iTwin IoT's "Sensor Data" API (process integration, upload, observations) and
its OAuth2 client-credentials token endpoint, on the shared HTTP application."""
