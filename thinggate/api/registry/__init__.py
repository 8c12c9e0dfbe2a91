"""The registry door: Telenor Connexion Managed IoT Cloud's REST API (domains, users, privileges, thing types)."""
