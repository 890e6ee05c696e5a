"""The databases the results store is tested on: SQLite in a temporary folder, and a fresh
PostgreSQL database on the server SHOWCASE_TEST_DB names (.ci/run starts Debian's and sets it;
README, Tests), dropped afterwards."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from storage import results

DATABASES = ("sqlite", "postgresql")


@contextmanager
def database(kind: str, folder: Path) -> Iterator[str]:
    """A database URL of that kind with nothing in it, for as long as the block runs."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'results.sqlite'}"
        return
    server = os.environ.get("SHOWCASE_TEST_DB")
    if not server:
        pytest.fail("SHOWCASE_TEST_DB is not set: the store's tests need a PostgreSQL server (README, Tests).")
    admin = sa.create_engine(results.driver_url(server), isolation_level="AUTOCOMMIT")
    name = f"showcase_test_{secrets.token_hex(6)}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        yield results.driver_url(server).rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()
