"""Alembic migrations of the store's schema (run by `thinggate.storage.open_store`)."""
