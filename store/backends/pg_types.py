"""Values read back from PostgreSQL in the form SQLite gives them, so no caller branches.

The store writes timestamps as `2026-11-22T10:15:00Z`, days as `2026-11-22`, JSON as compact
sorted text and booleans as 0/1 (store/models.py `iso`, store/rows.py `to_json`); PostgreSQL
keeps them as timestamptz, date, jsonb and bigint. These loaders turn each back into the
SQLite form as rows are read (the session's TimeZone is UTC, so timestamptz text is UTC).
"""

from __future__ import annotations

import json

from psycopg import Connection
from psycopg.adapt import Buffer, Loader
from psycopg.types.string import StrDumperUnknown

from deskpulse.store.rows import to_json


class InstantLoader(Loader):
    """timestamptz `2026-11-22 10:15:00+00` (or with fractions) → `2026-11-22T10:15:00Z`."""

    def load(self, data: bytes | bytearray | memoryview) -> str:
        text = bytes(data).decode()
        return f"{text[:10]}T{text[11:19]}Z"


class TextLoader(Loader):
    """date (ISO DateStyle) and json: the text as PostgreSQL sends it."""

    def load(self, data: bytes | bytearray | memoryview) -> str:
        return bytes(data).decode()


class JsonbLoader(Loader):
    """jsonb → the one JSON text form of the SQLite file (jsonb reorders and spaces keys)."""

    def load(self, data: bytes | bytearray | memoryview) -> str:
        return to_json(json.loads(bytes(data)))


class NumericLoader(Loader):
    """numeric (SUM and AVG of bigint) → int when integral text, else float, as SQLite."""

    def load(self, data: bytes | bytearray | memoryview) -> int | float:
        text = bytes(data).decode()
        try:
            return int(text)
        except ValueError:  # a point, an exponent, NaN or Infinity
            return float(text)


class BoolLoader(Loader):
    """boolean → 1 or 0 (SQLite has no booleans: comparisons give integers)."""

    def load(self, data: bytes | bytearray | memoryview) -> int:
        return 1 if bytes(data) == b"t" else 0


# What a NUL character in text becomes: PostgreSQL text cannot hold one (SQLite can).
NUL_STANDIN = "\ufffd"


class TextDumper(StrDumperUnknown):
    """str sent as `unknown` (so ISO text casts into timestamptz, date and jsonb columns),
    with NUL characters as U+FFFD instead of failing the page (docs/postgresql.md)."""

    def dump(self, obj: str) -> Buffer | None:
        return super().dump(obj.replace("\x00", NUL_STANDIN) if "\x00" in obj else obj)


def register(conn: Connection) -> None:
    """Install the loaders on one connection (not globally: other psycopg users differ)."""
    adapters = conn.adapters
    adapters.register_dumper(str, TextDumper)
    adapters.register_loader("timestamptz", InstantLoader)
    adapters.register_loader("date", TextLoader)
    adapters.register_loader("json", TextLoader)
    adapters.register_loader("jsonb", JsonbLoader)
    adapters.register_loader("numeric", NumericLoader)
    adapters.register_loader("bool", BoolLoader)
