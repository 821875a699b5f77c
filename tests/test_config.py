from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict, SecretStr

from deskpulse.app.config.durations import parse_interval
from deskpulse.app.config.file import ConfigError, load_config
from deskpulse.connectors import Connector


class DeskSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subdomain: str
    email: str
    token: SecretStr
    base_url: str | None = None


FAKE = Connector(kind="fake", settings=DeskSettings, streams=(), open=lambda *a, **k: None)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "deskpulse.toml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """
database = "data/desk.db"
[sources.acme]
kind = "zendesk"
subdomain = "acme"
email = "ops@acme.example"
token = "${ACME_TOKEN}"
start_date = "2024-01-01"
interval = "10m"
"""


def test_reads_sources_and_resolves_the_database_relative_to_the_file(tmp_path):
    config = load_config(write(tmp_path, GOOD), environ={})
    assert config.database == tmp_path / "data" / "desk.db"
    acme = config.source("acme")
    assert (acme.kind, acme.interval) == ("zendesk", timedelta(minutes=10))
    assert acme.since() == datetime(2024, 1, 1, tzinfo=UTC)
    assert acme.options["subdomain"] == "acme"


def test_path_comes_from_the_environment_when_not_given(tmp_path):
    path = write(tmp_path, GOOD)
    assert load_config(None, environ={"DESKPULSE_CONFIG": str(path)}).path == path


def test_token_is_resolved_from_the_environment_at_open_time(tmp_path):
    acme = load_config(write(tmp_path, GOOD), environ={}).source("acme")
    settings = acme.settings(FAKE, environ={"ACME_TOKEN": "tok-123"})
    assert settings.token.get_secret_value() == "tok-123"
    assert "tok-123" not in repr(settings)


def test_a_missing_environment_variable_is_named_in_the_error(tmp_path):
    acme = load_config(write(tmp_path, GOOD), environ={}).source("acme")
    with pytest.raises(ConfigError, match=r"token refers to \$\{ACME_TOKEN\}, which is not set"):
        acme.settings(FAKE, environ={})


def test_a_literal_secret_in_the_file_is_refused_without_echoing_it(tmp_path):
    text = GOOD.replace('"${ACME_TOKEN}"', '"sk-live-very-secret"')
    with pytest.raises(ConfigError, match="must be an environment reference") as info:
        load_config(write(tmp_path, text), environ={})  # refused as the file is read
    assert "sk-live-very-secret" not in str(info.value)


def test_connector_setting_typos_are_reported(tmp_path):
    text = GOOD.replace('subdomain = "acme"', 'subdomian = "acme"')
    with pytest.raises(ConfigError, match="unknown setting subdomian"):
        load_config(write(tmp_path, text), environ={})


def test_unknown_source_lists_the_configured_ones(tmp_path):
    config = load_config(write(tmp_path, GOOD), environ={})
    with pytest.raises(ConfigError, match=r"no source named 'nope'.*configured: acme"):
        config.source("nope")


def test_missing_file_and_bad_toml_give_clear_errors(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "absent.toml", environ={})
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "database = "), environ={})


def test_a_source_needs_a_kind(tmp_path):
    with pytest.raises(ConfigError, match="needs a kind"):
        load_config(write(tmp_path, "[sources.x]\nsubdomain='a'\n"), environ={})


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30), ("5m", 300), ("1h", 3600),
                                               ("2d", 172800)])
def test_intervals(text, seconds):
    assert parse_interval(text) == timedelta(seconds=seconds)


def test_bad_interval_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="interval"):
        load_config(write(tmp_path, GOOD.replace('"10m"', '"often"')), environ={})


def test_an_unknown_report_time_zone_is_refused_with_its_name(tmp_path):
    path = tmp_path / "deskpulse.toml"
    path.write_text('[kpi]\nreport_tz = "Mars/Olympus"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="Mars/Olympus"):
        load_config(path, environ={})
    path.write_text('[kpi]\nreport_tz = "Europe/Berlin"\n', encoding="utf-8")
    assert load_config(path, environ={}).kpi.report_tz == "Europe/Berlin"
