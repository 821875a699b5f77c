"""What `--from` and `--to` name, and how they are shown: a PostgreSQL URL is printed without
its password (in the user part or as `?password=`), and so is any error text quoting it."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

SCHEMES = ("postgresql://", "postgres://")
HIDDEN = "***"


def is_url(target: str) -> bool:
    return target.lower().startswith(SCHEMES)


def passwords(target: str) -> list[str]:
    """The secrets a URL carries (none for a path), raw and percent-decoded."""
    if not is_url(target):
        return []
    parts = urlsplit(target)
    found = [parts.password or ""] + [value for key, value in parse_qsl(parts.query)
                                      if key.lower() == "password"]
    return [text for secret in found if secret for text in {secret, unquote(secret)}]


def redact(target: str) -> str:
    """`target` as it may be printed or logged: the password replaced by ***."""
    if not is_url(target):
        return target
    parts = urlsplit(target)
    netloc = parts.netloc
    if parts.password is not None:
        user, _, host = netloc.rpartition("@")
        netloc = f"{user.partition(':')[0]}:{HIDDEN}@{host}"
    query = parts.query
    if any(key.lower() == "password" for key, _ in parse_qsl(query)):
        query = urlencode([(key, HIDDEN if key.lower() == "password" else value)
                           for key, value in parse_qsl(query)], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


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
