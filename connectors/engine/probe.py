"""The engine side of `deskpulse check`: run a connector's declared probes (one cheap
request per stream) through the source's own HTTP engine, and classify each answer.

A 401 means the credentials are wrong (nothing else will work); a 403 or 404 on a stream
that needs a plan feature means the plan or role lacks it (that stream is skipped by syncs,
the rest works); on any other stream it means the token may not read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from deskpulse.connectors.errors import SourceError
from deskpulse.connectors.source import Probe


@dataclass(frozen=True)
class ProbeResult:
    stream: str
    outcome: str  # ok | unauthorized | not on plan | forbidden | failed
    detail: str = ""


def run_probe(source: Any, probe: Probe) -> ProbeResult:
    """One probe through `source.http` (every HTTP connector's engine)."""
    try:
        source.http.request_json(probe.method, probe.path, params=probe.params or None,
                                 json_body=probe.body)
    except SourceError as exc:
        status = getattr(exc, "status", None)
        if status == 401:
            return ProbeResult(probe.stream, "unauthorized", str(exc))
        if status in (402, 403, 404) and probe.feature:
            return ProbeResult(probe.stream, "not on plan",
                               f"{probe.feature} not available to this account or token "
                               "(skipped by syncs)")
        if status in (403, 404):
            return ProbeResult(probe.stream, "forbidden", str(exc))
        return ProbeResult(probe.stream, "failed", str(exc))
    return ProbeResult(probe.stream, "ok", probe.feature or "")
