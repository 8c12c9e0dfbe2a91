"""The dashboard door: the house page with its login and live channel, on the shared HTTP application."""
