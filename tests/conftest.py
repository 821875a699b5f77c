"""Fixtures that run a test on each store backend (tests.backends has the how)."""

from tests.backends import backend, db_target, pg_target, store  # noqa: F401
