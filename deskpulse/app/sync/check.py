"""`deskpulse check`: before the first sync, prove each source is set up right: the config
(done by loading it), its secrets (resolved), and one cheap request per stream, declared by
the connector (`Connector.probes`) and run by the engine (`connectors.engine.probe`). The answer
says per stream what will be synced and what will not, and why."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from deskpulse.app.config.file import ConfigError, SourceConfig
from deskpulse.app.config.secrets import scrub, secret_values
from deskpulse.connectors import open_source
from deskpulse.connectors.engine.probe import ProbeResult, run_probe


@dataclass
class SourceCheck:
    source: str
    kind: str
    problem: str | None = None  # config or secret: nothing was asked of the vendor
    results: list[ProbeResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Usable: set up, and every stream readable or only lacking a plan feature."""
        return self.problem is None and all(
            r.outcome in ("ok", "not on plan") for r in self.results)


def check_source(source: SourceConfig, *, transport: httpx.BaseTransport | None = None,
                 environ: dict[str, str] | None = None) -> SourceCheck:
    """Probe every stream of `source`; stop at the first 401 (nothing else can work)."""
    found = SourceCheck(source.name, source.kind)
    try:
        connector = source.connector()
        settings = source.settings(connector, environ)
    except ConfigError as exc:
        found.problem = str(exc)
        return found
    if not connector.probes:
        found.problem = f"the {connector.kind} connector declares no probes: nothing to check"
        return found
    secrets = secret_values(settings)
    opened = open_source(connector, source.name, settings, transport=transport)
    try:
        for probe in connector.probes:
            result = run_probe(opened, probe)
            found.results.append(ProbeResult(result.stream, result.outcome,
                                             scrub(result.detail, secrets)))
            if result.outcome == "unauthorized":
                break
    finally:
        opened.close()
    return found
