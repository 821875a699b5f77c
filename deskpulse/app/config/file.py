"""deskpulse.toml: where the database lives and which help desks to sync.

The file is found by `--config`, then `DESKPULSE_CONFIG`, then `./deskpulse.toml`; relative
paths in it are relative to the file. `database` is a SQLite file or a `postgresql://` URL;
`DESKPULSE_DATABASE` overrides it. Secrets are never written in it: a secret field holds an
`${ENV_VAR}` reference, resolved when a source is opened, so the token exists only in the
process environment and in memory (pydantic `SecretStr`), never in logs or the database.
"""

from __future__ import annotations

import os
import re
import tomllib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
)

from deskpulse.app.config.daemon import DaemonConfig
from deskpulse.app.config.durations import positive_duration
from deskpulse.app.config.kpi import KpiConfig, SlaConfig
from deskpulse.app.errors import DeskpulseError
from deskpulse.connectors import Connector, ConnectorUnavailable, available, load
from deskpulse.connectors.zones import resolve
from deskpulse.kpi import Calendars
from deskpulse.kpi.sla.policy import Target
from deskpulse.store.backends import DatabaseUrl, target

ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
DEFAULT_CONFIG = "deskpulse.toml"
# overrides the file's `database` (a path relative to the working folder, or a URL): keeps a
# PostgreSQL URL out of the file; its password is better in PGPASSWORD or ~/.pgpass
DATABASE_ENV = "DESKPULSE_DATABASE"
COMMON_KEYS = {"kind", "interval", "start_date", "store_bodies"}


class ConfigError(DeskpulseError):
    """The configuration cannot be used as written; the message says what to change, `fix`
    (when given) how."""

    def __init__(self, message: str, fix: str | None = None):
        super().__init__(message)
        self.fix = fix


class SourceConfig(BaseModel):
    """One configured help-desk account. `options` are the connector's own settings, unresolved."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)
    name: str
    kind: str
    interval: timedelta = timedelta(minutes=5)
    start_date: date | None = None
    store_bodies: bool = True
    options: dict[str, Any] = Field(default_factory=dict)

    @field_validator("interval", mode="before")
    @classmethod
    def _interval(cls, value: Any) -> Any:
        return positive_duration(value, "interval", "'30s', '5m' or '1h'")

    def check(self) -> None:
        """What is wrong before the source is ever opened: its kind, a setting the connector
        does not know, a secret written out. Missing settings and `${ENV}` values wait for
        the process that opens it (`status` elsewhere need not have the variables)."""
        model = self.connector().settings
        fields = model.model_fields
        unknown = sorted(set(self.options) - set(fields))
        if unknown:
            known = ", ".join(sorted({*fields, *COMMON_KEYS}))
            msg = (f"source '{self.name}' ({self.kind}): unknown setting "
                   f"{', '.join(unknown)} (known: {known})")
            raise ConfigError(msg)
        for key in _secret_fields(model) & set(self.options):
            _require_reference(self.name, key, self.options[key])

    def since(self) -> datetime:
        """Where a first sync starts: `start_date`, or the beginning of the account."""
        day = self.start_date or date(1970, 1, 1)
        return max(datetime(day.year, day.month, day.day, tzinfo=UTC), _EARLIEST)

    def connector(self) -> Connector:
        """The connector registered for `kind` (a built-in or a plug-in's entry point)."""
        try:
            return load(self.kind)
        except ConnectorUnavailable as exc:
            msg = f"source '{self.name}': {exc}"
            raise ConfigError(msg, exc.fix) from exc

    def settings(
        self, connector: Connector | None = None, environ: dict[str, str] | None = None
    ) -> BaseModel:
        """The connector's validated settings, with `${ENV}` references resolved now."""
        connector = connector or self.connector()
        secret_fields = _secret_fields(connector.settings)
        env = os.environ if environ is None else environ
        resolved = {
            key: _resolve(self.name, key, value, env, secret=key in secret_fields)
            for key, value in self.options.items()
        }
        try:
            return connector.settings.model_validate(resolved)
        except ValidationError as exc:
            msg = f"source '{self.name}' ({self.kind}): {_describe(exc)}"
            raise ConfigError(msg) from None


_EARLIEST = datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC)


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)
    path: Path | None = None
    # a SQLite file, or a PostgreSQL database (`postgresql://…`, shown without its password)
    database: Path | DatabaseUrl = Path("deskpulse.db")
    kpi: KpiConfig = KpiConfig()
    daemon: DaemonConfig = DaemonConfig()
    sources: dict[str, SourceConfig] = {}
    schedule: list[dict[str, Any]] = []
    sla: list[SlaConfig] = []

    def sla_targets(self) -> tuple[Target, ...]:
        """The `[[sla]]` targets in file order (the first match wins)."""
        return tuple(entry.as_target() for entry in self.sla)

    def business_calendars(self) -> Calendars | None:
        """Business hours from `[[schedule]]` (history by `effective_from`, per-group by
        `groups`, the one marked default for the rest); None: no business time."""
        if not self.schedule:
            return None
        try:
            return Calendars.from_config([_zoned(entry) for entry in self.schedule])
        except (KeyError, ValueError, TypeError) as exc:
            msg = f"{self.path or 'config'}: [[schedule]]: {exc}"
            raise ConfigError(msg) from None

    def source(self, name: str) -> SourceConfig:
        if name not in self.sources:
            known = ", ".join(sorted(self.sources)) or "none"
            msg = f"no source named '{name}' in {self.path or 'the config'} (configured: {known})"
            raise ConfigError(msg)
        return self.sources[name]


def load_config(path: str | Path | None = None, environ: dict[str, str] | None = None) -> Config:
    """Read the config file (see module docstring for how it is found)."""
    env = os.environ if environ is None else environ
    chosen = Path(path or env.get("DESKPULSE_CONFIG") or DEFAULT_CONFIG)
    if not chosen.exists():
        msg = f"config file {chosen} not found (use --config or DESKPULSE_CONFIG)"
        raise ConfigError(msg)
    try:
        data = tomllib.loads(chosen.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        msg = f"{chosen}: not valid TOML: {exc}"
        raise ConfigError(msg) from None
    config = config_from_dict(data, base_dir=chosen.resolve().parent, path=chosen)
    if env.get(DATABASE_ENV):  # e.g. the PostgreSQL URL, kept out of the file
        config.database = database_target(env[DATABASE_ENV], Path.cwd())
    return config


def database_target(value: str | Path, base_dir: Path) -> Path | DatabaseUrl:
    """A `database` setting: a postgresql:// URL, or a SQLite path (relative to `base_dir`)."""
    found = target(value)
    if isinstance(found, Path) and not found.is_absolute():
        return base_dir / found
    return found


def config_from_dict(
    data: dict[str, Any], *, base_dir: Path, path: Path | None = None
) -> Config:
    raw_sources = data.get("sources", {})
    if not isinstance(raw_sources, dict):
        msg = "[sources] must be a table of named sources, e.g. [sources.acme]"
        raise ConfigError(msg)
    sources = {name: _source(name, body) for name, body in raw_sources.items()}
    database = database_target(str(data.get("database", "deskpulse.db")), base_dir)
    try:
        config = Config(path=path, database=database, kpi=data.get("kpi", {}),
                        daemon=data.get("daemon", {}),
                        sources=sources, schedule=data.get("schedule", []),
                        sla=data.get("sla", []))
    except ValidationError as exc:
        msg = f"{path or 'config'}: {_describe(exc)}"
        raise ConfigError(msg) from None
    for source in sources.values():
        source.check()
    for number, entry in enumerate(config.sla):
        if entry.source is not None and entry.source not in sources:
            msg = (f"{path or 'config'}: sla.{number}.source: no source named "
                   f"{entry.source!r} (configured: {', '.join(sorted(sources)) or 'none'})")
            raise ConfigError(msg)
    return config


def _source(name: str, body: Any) -> SourceConfig:
    if not isinstance(body, dict) or "kind" not in body:
        msg = f"source '{name}' needs a kind (installed: {', '.join(available()) or 'none'})"
        raise ConfigError(msg)
    common = {key: body[key] for key in COMMON_KEYS if key in body}
    options = {key: value for key, value in body.items() if key not in COMMON_KEYS}
    try:
        return SourceConfig(name=name, options=options, **common)
    except ValidationError as exc:
        msg = f"source '{name}': {_describe(exc)}"
        raise ConfigError(msg) from None


def _secret_fields(model: type[BaseModel]) -> set[str]:
    return {
        name for name, field in model.model_fields.items()
        if field.annotation is SecretStr or "SecretStr" in str(field.annotation)
    }


def _resolve(source: str, key: str, value: Any, env: Any, *, secret: bool) -> Any:
    if not isinstance(value, str):
        return value
    if secret:
        _require_reference(source, key, value)

    def substitute(match: re.Match[str]) -> str:
        variable = match.group(1)
        if variable not in env:
            msg = f"source '{source}': {key} refers to ${{{variable}}}, which is not set"
            raise ConfigError(msg)
        return str(env[variable])

    return ENV_REFERENCE.sub(substitute, value)


def _require_reference(source: str, key: str, value: Any) -> None:
    if not isinstance(value, str) or not ENV_REFERENCE.fullmatch(value.strip()):
        msg = (
            f"source '{source}': {key} must be an environment reference such as "
            f'"${{{source.upper()}_{key.upper()}}}", not the secret itself'
        )
        raise ConfigError(msg)


def _describe(exc: ValidationError) -> str:
    """Field errors without the offending input values (they may be secrets)."""
    parts = []
    for error in exc.errors(include_input=False, include_url=False):
        where = ".".join(str(part) for part in error["loc"]) or "value"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)


def _zoned(entry: dict[str, Any]) -> dict[str, Any]:
    """A `[[schedule]]` entry with its tz as an IANA name: the Zendesk/Freshdesk (Rails)
    names a vendor's admin screen shows are accepted too."""
    if "tz" not in entry:
        return entry
    zone = resolve(entry["tz"])
    if zone is None:
        msg = (f"schedule {str(entry.get('id') or 'default')!r}: tz {entry['tz']!r} is not a "
               "known time zone; use an IANA name such as \"America/New_York\" (or the "
               "Zendesk/Freshdesk name, such as \"Eastern Time (US & Canada)\")")
        raise ValueError(msg)
    return {**entry, "tz": zone}
