"""What `--from` and `--to` name, and how they are shown: a PostgreSQL URL is printed without
its password (store.backends.redact), and so is any error text that quotes the password."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from deskpulse.store.backends import is_url, redact

__all__ = ["is_url", "passwords", "redact", "same_file", "scrub", "shown"]

HIDDEN = "***"


def passwords(target: str) -> list[str]:
    """The secrets a URL carries (none for a path), raw and percent-decoded."""
    if not is_url(target):
        return []
    parts = urlsplit(target)
    found = [parts.password or ""] + [value for key, value in parse_qsl(parts.query)
                                      if key.lower() == "password"]
    return [text for secret in found if secret for text in {secret, unquote(secret)}]


def shown(target: str) -> str:
    """`target` as it may be printed: a URL without its password, a path as given."""
    return redact(target) if is_url(target) else target


def scrub(text: str, target: str) -> str:
    """`text` (an error from the driver, say) with the target's passwords hidden."""
    for secret in sorted(passwords(target), key=len, reverse=True):
        text = text.replace(secret, HIDDEN)
    return text


def same_file(source: str | Path, target: str) -> bool:
    """Whether --to names the --from file itself (copying a file onto itself empties it)."""
    if is_url(target):
        return False
    try:
        return Path(source).resolve() == Path(target).resolve()
    except OSError:
        return False
