"""A PostgreSQL schema per test (the server is started by .ci/run; see RECIPES.md)."""

from __future__ import annotations

import os
import uuid

import pytest

from conftest import require_service

DSN_ENV = "GLASSLEDGER_TEST_POSTGRES"


@pytest.fixture
def postgres_dsn():
    """A DSN whose ``search_path`` is a fresh schema, dropped after the test."""
    dsn = os.environ.get(DSN_ENV, "")
    require_service("postgresql", bool(dsn), f"set {DSN_ENV} (as .ci/run does)")
    import psycopg

    try:
        admin = psycopg.connect(dsn, autocommit=True)
    except psycopg.OperationalError as exc:
        require_service("postgresql", False, str(exc))
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin.execute(f"CREATE SCHEMA {schema}")
    joiner = "&" if "?" in dsn else "?"
    yield f"{dsn}{joiner}options=-csearch_path%3D{schema}"
    admin.execute(f"DROP SCHEMA {schema} CASCADE")
    admin.close()
