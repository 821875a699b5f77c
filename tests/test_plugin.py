"""A connector from outside deskpulse (issue #17): the example package in tests/plugin_example
is pip-installed into a fresh venv and synced end to end through `python -m deskpulse`, and a
plug-in that cannot be used is refused in one line naming its package and the fix.

The venv reuses this environment's site-packages through a .pth file (deskpulse, httpx,
pydantic …) and builds the plug-in with --no-build-isolation, so nothing is downloaded.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from deskpulse.app.config.file import ConfigError, config_from_dict
from deskpulse.connectors import ConnectorUnavailable, available, load

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = Path(__file__).resolve().parent / "plugin_example"
SINCE = datetime(2026, 1, 1, tzinfo=UTC)
CONFIG = """database = "desk.db"

[sources.shop]
kind = "example"
token = "${EXAMPLE_TOKEN}"
start_date = "2026-01-01"
"""


def run(python: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EXAMPLE_TOKEN": "t0ken", "COLUMNS": "200"}
    env.pop("DESKPULSE_CONFIG", None)
    env.pop("DESKPULSE_DEBUG", None)
    return subprocess.run([str(python), *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def plugin_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv holding only the example plug-in, seeing this environment's packages."""
    home = tmp_path_factory.mktemp("plugin")
    venv = home / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True).stdout.strip()
    ours = sysconfig.get_paths()["purelib"]
    Path(purelib, "_deskpulse_test_env.pth").write_text(
        f"{ROOT}\nimport site; site.addsitedir({ours!r})\n", encoding="utf-8")
    source = home / "plugin_example"  # built out of the repo: no build/ or egg-info left there
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("build", "*.egg-info"))
    offline = all(importlib.util.find_spec(name) for name in ("setuptools", "wheel"))
    flags = ["--no-build-isolation", "--no-index"] if offline else []  # else: an old .venv
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
         *flags, str(source)], capture_output=True, text=True, timeout=300, check=False)
    assert installed.returncode == 0, installed.stderr
    return python


def test_an_installed_plugin_syncs_end_to_end(plugin_venv: Path, tmp_path: Path) -> None:
    (tmp_path / "deskpulse.toml").write_text(CONFIG, encoding="utf-8")
    kinds = run(plugin_venv, "-c",
                "from deskpulse import connectors; print(connectors.available())",
                cwd=tmp_path)
    assert "'example'" in kinds.stdout, kinds.stderr

    synced = run(plugin_venv, "-m", "deskpulse", "sync", cwd=tmp_path)
    assert synced.returncode == 0, synced.stderr
    assert "shop sync: ok" in synced.stdout
    with sqlite3.connect(tmp_path / "desk.db") as conn:
        assert conn.execute("SELECT kind FROM sources WHERE name = 'shop'").fetchone() == \
            ("example",)
        statuses = dict(conn.execute("SELECT id, status FROM tickets ORDER BY id"))
        assert statuses == {"1": "solved", "2": "pending", "3": "open"}
        assert conn.execute("SELECT count(*) FROM people").fetchone() == (3,)
        assert conn.execute("SELECT kind, value FROM unmapped").fetchall() == \
            [("status", "snoozed")]
        cursor = conn.execute("SELECT cursor FROM sync_state WHERE stream = 'tickets'")
        assert json.loads(cursor.fetchone()[0]) == {"updated_since": 1772611200}

    again = run(plugin_venv, "-m", "deskpulse", "sync", cwd=tmp_path)
    # people are read whole; no ticket changed, so one empty tickets page
    assert again.returncode == 0, again.stderr
    assert "shop sync: ok, 3 records (3 people) in 2 pages, 2 requests" in again.stdout

    shown = run(plugin_venv, "-m", "deskpulse", "kpi", "--format", "json", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    headline = json.loads(shown.stdout)[0]
    assert (headline["created"], headline["solved"], headline["backlog"]) == (3, 1, 2)
    assert (headline["frt_n"], headline["frt_p50_s"]) == (2, 4500)  # 30 min and 2 h

    verified = run(plugin_venv, "-m", "deskpulse", "verify", "shop", cwd=tmp_path)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    # tickets 1 and 2 within the second; ticket 3 has no reply on either side
    assert "first_reply_seconds: 3/3 agree" in verified.stdout


def test_a_plugins_settings_are_checked_as_the_file_is_read(plugin_venv: Path,
                                                              tmp_path: Path) -> None:
    (tmp_path / "deskpulse.toml").write_text(CONFIG + 'colour = "blue"\n', encoding="utf-8")
    unknown = run(plugin_venv, "-m", "deskpulse", "sync", cwd=tmp_path)
    assert unknown.returncode == 2
    assert "unknown setting colour" in unknown.stderr and "token" in unknown.stderr
    assert "Traceback" not in unknown.stderr

    (tmp_path / "deskpulse.toml").write_text(
        CONFIG.replace("${EXAMPLE_TOKEN}", "t0ken"), encoding="utf-8")
    written_out = run(plugin_venv, "-m", "deskpulse", "sync", cwd=tmp_path)
    assert written_out.returncode == 2
    assert "token must be an environment reference" in written_out.stderr
    assert "t0ken" not in written_out.stderr


@pytest.fixture
def example_on_path(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.syspath_prepend(str(EXAMPLE))
    yield
    for name in [name for name in sys.modules if name.startswith("deskpulse_example")]:
        del sys.modules[name]


def test_the_example_resumes_from_each_committed_cursor(example_on_path: None) -> None:
    """How a connector is tested against a fixture: its pages and the cursor each carries."""
    from deskpulse_example import CONNECTOR, ExampleSettings, desk

    from deskpulse.connectors import open_source

    settings = ExampleSettings(token="t")
    source = open_source(CONNECTOR, "shop", settings, transport=desk.transport(),
                         sleep=lambda seconds: None)
    pages = list(source.read("tickets", None, since=SINCE))
    assert [page.done for page in pages] == [False, True]
    resumed = list(source.read("tickets", pages[0].cursor, since=SINCE))
    assert [r.id for r in resumed[0].records if type(r).__name__ == "Ticket"] == ["3"]
    assert resumed[-1].cursor == pages[-1].cursor
    assert list(source.read("tickets", pages[-1].cursor, since=SINCE))[0].records == []
    assert source.requests == 4


def test_the_example_raises_the_engines_errors(example_on_path: None) -> None:
    from deskpulse_example import CONNECTOR, ExampleSettings

    from deskpulse.connectors import SourceConfigError, open_source

    refused = httpx.MockTransport(lambda request: httpx.Response(401, json={}))
    source = open_source(CONNECTOR, "shop", ExampleSettings(token="secret-1"),
                         transport=refused, sleep=lambda seconds: None)
    with pytest.raises(SourceConfigError, match="example source 'shop'.*401") as raised:
        list(source.read("people", None, since=SINCE))
    assert "secret-1" not in str(raised.value)


def install_fake(root: Path, kind: str, target: str, package: str = "fake-desk") -> None:
    """A distribution's metadata on sys.path, as pip would leave it: a real entry point."""
    info = root / f"{package.replace('-', '_')}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {package}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[deskpulse.connectors]\n{kind} = {target}\n")


@pytest.mark.parametrize(("module", "target", "said"), [
    ("import no_such_dependency\n", "broken_desk:CONNECTOR",
     "could not be loaded: ModuleNotFoundError: No module named 'no_such_dependency'"),
    ("CONNECTOR = 'not a connector'\n", "broken_desk:CONNECTOR",
     "is a str, not a connectors.Connector"),
    ("from deskpulse.connectors.zendesk.streams import CONNECTOR\n", "broken_desk:CONNECTOR",
     "declares kind 'zendesk' (they must be the same)"),
    ("", "broken_desk:MISSING", "could not be loaded: AttributeError"),
])
def test_an_unusable_plugin_is_one_line_naming_its_package(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module: str, target: str,
        said: str) -> None:
    (tmp_path / "broken_desk.py").write_text(module, encoding="utf-8")
    install_fake(tmp_path, "broken", target)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "broken_desk", raising=False)
    assert "broken" in available()
    with pytest.raises(ConfigError, match="source 'b'") as raised:
        config_from_dict({"sources": {"b": {"kind": "broken"}}}, base_dir=tmp_path)
    assert said in str(raised.value)
    assert "package fake-desk 0.1" in str(raised.value)
    assert raised.value.fix and "fake-desk" in raised.value.fix


def test_a_kind_two_packages_register_is_refused(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    install_fake(tmp_path / "a", "twice", "deskpulse.connectors.zendesk.streams:CONNECTOR",
                 "desk-one")
    install_fake(tmp_path / "b", "twice", "deskpulse.connectors.intercom.streams:CONNECTOR",
                 "desk-two")
    monkeypatch.syspath_prepend(str(tmp_path / "a"))
    monkeypatch.syspath_prepend(str(tmp_path / "b"))
    with pytest.raises(ConnectorUnavailable, match="desk-one 0.1, package desk-two 0.1"):
        load("twice")
    assert available().count("twice") == 1


def test_an_unknown_kind_lists_the_installed_ones_and_how_to_add_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no connector for kind 'helpscout' \(installed: "
                       r"freshdesk, intercom, zendesk") as raised:
        config_from_dict({"sources": {"h": {"kind": "helpscout"}}}, base_dir=tmp_path)
    assert "deskpulse.connectors" in (raised.value.fix or "")
