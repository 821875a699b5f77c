"""Fixtures that run a test on each store backend (tests.backends has the how)."""

from tests.backends import (  # noqa: F401
    backend,
    db_target,
    pg_target,
    store,
)
