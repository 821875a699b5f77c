"""Where a store lives: a SQLite path, or a `postgresql://` URL whose password is never shown.

`DatabaseUrl` prints (str, repr, f-strings) with its password replaced by `***`, so a URL can
be named in any log line or error without leaking it; `.url` is the real one, for connecting.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

SCHEMES = ("postgresql://", "postgres://")


def is_url(target: object) -> bool:
    """Whether `target` names a PostgreSQL database rather than a SQLite file."""
    return isinstance(target, DatabaseUrl) or (
        isinstance(target, str) and target.startswith(SCHEMES))


def redact(url: str) -> str:
    """`url` with its password (in the netloc or a `password=` parameter) as `***`."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        if ":" in userinfo:
            userinfo = userinfo.split(":", 1)[0] + ":***"
        netloc = f"{userinfo}@{host}"
    query = urlencode([(key, "***" if key == "password" else value)
                       for key, value in parse_qsl(parts.query, keep_blank_values=True)],
                      safe="*/:=")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


class DatabaseUrl:
    """A PostgreSQL URL that names itself without its password."""

    __slots__ = ("url",)

    def __init__(self, url: str):
        self.url = str(url.url if isinstance(url, DatabaseUrl) else url)

    def __str__(self) -> str:
        return redact(self.url)

    def __repr__(self) -> str:
        return f"DatabaseUrl({redact(self.url)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DatabaseUrl) and other.url == self.url

    def __hash__(self) -> int:
        return hash(self.url)

    def exists(self) -> bool:
        """A server database always 'exists' here: connecting says whether it does."""
        return True


Target = Path | DatabaseUrl


def target(value: str | Path | DatabaseUrl) -> Target:
    """A config or command-line value as a store target: URL or path."""
    if isinstance(value, DatabaseUrl | Path):
        return value
    return DatabaseUrl(value) if is_url(value) else Path(value)
