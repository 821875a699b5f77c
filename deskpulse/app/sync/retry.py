"""Dead letters, tried again: each stored vendor object is mapped anew by its connector's
`remap` (a deskpulse upgrade or a config fix, say a Freshdesk `status_map`, may now accept
it). What maps is stored and its letter dropped; what is rejected again keeps a letter with
the new reason. A letter also goes by itself when the vendor sends its record again and it
is stored (`store.pages.resolve_dead_letters`). Run by `deskpulse retry` and every sync."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from deskpulse.connectors import Connector
from deskpulse.store import Store
from deskpulse.store.models import Rejected


@dataclass
class Retried:
    source: str
    stored: int = 0  # letters whose object is now stored
    still: int = 0  # letters rejected again (kept, with the reason of this try)
    waiting: int = 0  # letters this connector cannot map again: they wait for the vendor
    reasons: list[str] = field(default_factory=list)


def retry_dead_letters(store: Store, source: str, connector: Connector, settings: Any
                       ) -> Retried:
    """Map every dead letter of `source` again and store what now passes."""
    result = Retried(source)
    for letter_id, stream, payload in store.dead_letters(source):
        if connector.remap is None:
            result.waiting += 1
            continue
        base = stream.split("@", 1)[0]
        try:
            records = connector.remap(base, payload, settings)
        except LookupError:  # a stream whose objects cannot be mapped on their own
            result.waiting += 1
            continue
        rejected = [r for r in records if isinstance(r, Rejected)]
        store.retry_dead_letter(letter_id, source, stream, records)
        if rejected:
            result.still += 1
            result.reasons.extend(r.error for r in rejected)
        else:
            result.stored += 1
    return result
