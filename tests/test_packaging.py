"""One distribution, one import package: the wheel installs `deskpulse` and nothing else at
the top level (issue #17), whatever else lies in the checkout (a demo's output, say)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_has_one_top_level_package(tmp_path):
    checkout = tmp_path / "checkout"
    shutil.copytree(ROOT, checkout, symlinks=True, ignore=shutil.ignore_patterns(
        ".venv", ".git", "build", "*.egg-info", "__pycache__", ".pytest_cache"))
    (checkout / "deskpulse-demo").mkdir()  # what `deskpulse demo` leaves behind
    (checkout / "deskpulse-demo" / "demo.db").write_bytes(b"")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                            str(tmp_path / "dist"), str(checkout)],
                           capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr
    [wheel] = (tmp_path / "dist").glob("deskpulse-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(
        (".dist-info", ".data"))}
    assert tops == {"deskpulse"}
    top_level = next(name for name in names if name.endswith(".dist-info/top_level.txt"))
    assert zipfile.ZipFile(wheel).read(top_level).decode().split() == ["deskpulse"]
    # the layers are inside it, with the data files the code reads
    for module in ("deskpulse/store/db.py", "deskpulse/connectors/source.py",
                   "deskpulse/kpi/views.sql", "deskpulse/app/cli/main.py",
                   "deskpulse/simulator/server.py"):
        assert module in names, module
    entry = next(name for name in names if name.endswith(".dist-info/entry_points.txt"))
    points = zipfile.ZipFile(wheel).read(entry).decode()
    assert "deskpulse.connectors.zendesk" in points and "connectors.zendesk:" not in \
        points.replace("deskpulse.connectors.zendesk", "")


def test_nothing_imports_the_repository_folders_as_top_level_packages():
    """Run from the checkout, `import store` would still work (the folder is on the path), so
    a stale import could pass every other test and break the installed wheel."""
    stale = subprocess.run(["git", "grep", "-nE", r"^\s*(from|import) (store|connectors|kpi)\b",
                            "--", "*.py"], cwd=ROOT, capture_output=True, text=True)
    assert stale.stdout == ""
