"""The `deskpulse migrate` tests' fixtures: the file they copy, and where to."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.migrate.shared import backfill, desk_and_api


@pytest.fixture(scope="session")
def source(tmp_path_factory) -> Path:
    """A backfilled file, made once for every migrate test: they only read it (migrate never
    changes its source)."""
    path = tmp_path_factory.mktemp("source") / "desk.db"
    backfill(path, desk_and_api()[1])
    return path


@pytest.fixture
def target(db_target: str | Path) -> str:
    """Where to migrate: a new SQLite file, or a fresh PostgreSQL schema (tests.backends)."""
    return str(db_target)
