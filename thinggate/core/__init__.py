"""The model and the hub runtime; knows no wire format and no framework."""
