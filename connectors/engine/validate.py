"""Vendor object → records, or a dead letter saying exactly what was wrong with it.

Every connector builds its records through `validated`, so one malformed object never costs
the rest of its page: it becomes a `Rejected` record (stored in `dead_letters`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from deskpulse.store.models import NormalizedRecord, Rejected

# What to do about a vendor value no mapping knows (an `Unmapped` record's `fix`).
REPORT_UNMAPPED = "record it (`deskpulse record SOURCE`) and report it so deskpulse can map it"


def validated(build: Callable[[dict[str, Any]], list[NormalizedRecord]],
              raw: Any) -> list[NormalizedRecord]:
    """Records from one vendor object, or one Rejected record saying what was wrong."""
    try:
        if not isinstance(raw, dict):
            msg = f"expected an object, got {type(raw).__name__}"
            raise TypeError(msg)
        return build(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']} ({err['type']})"
            for err in exc.errors(include_input=False, include_url=False)
        )
        return [Rejected(error=problems, payload=raw, record_id=_id(raw))]
    except (KeyError, TypeError, ValueError) as exc:
        return [Rejected(error=f"{type(exc).__name__}: {exc}", payload=raw, record_id=_id(raw))]


def _id(raw: Any) -> str | None:
    """The vendor's id of the object, so its dead letter goes once the record is stored."""
    value = raw.get("id") if isinstance(raw, dict) else None
    return None if value is None or isinstance(value, dict | list) else str(value)
