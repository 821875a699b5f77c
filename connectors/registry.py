"""Which connectors are installed: the `deskpulse.connectors` entry point group.

Built-in and plug-in connectors are found the same way, so "a known kind" means "a name
registered in that group" (`available()`). A plug-in that cannot be imported, registers
something that is not a `Connector`, declares another kind than its name, or shares its
name with another package is refused with a `ConnectorUnavailable` naming the package and
the fix, never a traceback from deep inside the import.
"""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points

from pydantic import BaseModel

from deskpulse.connectors.source import Connector

GROUP = "deskpulse.connectors"


class ConnectorUnavailable(LookupError):
    """No usable connector for a kind; `fix` says what the user can do about it."""

    def __init__(self, message: str, fix: str):
        super().__init__(message)
        self.fix = fix


def available() -> list[str]:
    """Kinds of source this installation can sync (each registered name once)."""
    return sorted({point.name for point in entry_points(group=GROUP)})


def load(kind: str) -> Connector:
    """The connector registered for `kind` (zendesk, freshdesk, intercom, or a plug-in's)."""
    points = [point for point in entry_points(group=GROUP) if point.name == kind]
    if not points:
        msg = f"no connector for kind '{kind}' (installed: {', '.join(available()) or 'none'})"
        raise ConnectorUnavailable(msg, "use one of the installed kinds, or install the "
                                   f"package that registers '{kind}' under {GROUP}")
    if len({point.value for point in points}) > 1:
        packages = ", ".join(sorted(_package(point) for point in points))
        msg = f"kind '{kind}' is registered by more than one package ({packages})"
        raise ConnectorUnavailable(msg, "uninstall all but one of them")
    point = points[0]
    try:
        connector = point.load()
    except Exception as exc:  # a plug-in's import may fail in any way
        msg = (f"the connector for kind '{kind}' ({point.value}, from {_package(point)}) "
               f"could not be loaded: {type(exc).__name__}: {exc}")
        raise ConnectorUnavailable(msg, f"reinstall or fix {_package(point)}, or remove the "
                                   f"sources of kind '{kind}'") from exc
    problem = _problem(kind, connector)
    if problem:
        msg = f"the connector for kind '{kind}' ({point.value}, from {_package(point)}) {problem}"
        raise ConnectorUnavailable(msg, f"report it to the authors of {_package(point)}")
    return connector


def _problem(kind: str, connector: object) -> str | None:
    """What makes a registered object unusable as the connector of `kind`, if anything."""
    if not isinstance(connector, Connector):
        return f"is a {type(connector).__name__}, not a connectors.Connector"
    if connector.kind != kind:
        return f"declares kind '{connector.kind}' (they must be the same)"
    if not (isinstance(connector.settings, type) and issubclass(connector.settings, BaseModel)):
        return "has settings that are not a pydantic model class"
    if not connector.streams:
        return "declares no streams"
    return None


def _package(point: EntryPoint) -> str:
    dist = point.dist
    return f"package {dist.name} {dist.version}" if dist is not None else "an unknown package"
