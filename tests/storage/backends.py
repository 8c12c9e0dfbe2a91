"""The storage backends the tests run on, and the markers that run a test once per backend."""

from __future__ import annotations

import uuid

import pytest

SQL_BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]
ALL_BACKENDS = [pytest.param("memory", id="memory"), *SQL_BACKENDS]


def all_backends(fixture: str = "store") -> pytest.MarkDecorator:
    """Run a test once per backend, the given fixture providing it."""
    return pytest.mark.parametrize(fixture, ALL_BACKENDS, indirect=True)


def sql_backends(fixture: str = "database") -> pytest.MarkDecorator:
    """Run a test on SQLite and on PostgreSQL."""
    return pytest.mark.parametrize(fixture, SQL_BACKENDS, indirect=True)


def new_id() -> uuid.UUID:
    """A fresh random id."""
    return uuid.uuid4()
