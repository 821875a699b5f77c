"""Shared paging pieces. Vendor-specific loops stay in the vendor's module; what is common is
the guard against a cursor that stops moving (a vendor bug or a misread envelope would
otherwise loop forever, re-reading the same page)."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from connectors.errors import PageInvalid


class LoopGuard:
    """Raises when a stream asks for the same position twice in one pass."""

    def __init__(self, source: str, stream: str):
        self.source, self.stream = source, stream
        self._seen: set[Hashable] = set()

    def visit(self, position: Hashable) -> None:
        if position in self._seen:
            msg = (f"source '{self.source}' stream {self.stream}: the vendor returned the same "
                   f"position {position!r} twice; stopping instead of looping forever")
            raise PageInvalid(msg)
        self._seen.add(position)


def require(body: Any, key: str, *, source: str, stream: str, endpoint: str) -> Any:
    """A field the paging contract needs; its absence is a clear PageInvalid, not a KeyError."""
    if not isinstance(body, dict) or key not in body:
        msg = (f"source '{source}' stream {stream}: {endpoint} response has no '{key}' "
               "field; the vendor changed its envelope or the body is not what it documents")
        raise PageInvalid(msg)
    return body[key]
