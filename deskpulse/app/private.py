"""Files deskpulse writes besides the database (reports, recordings) get the database's
owner-only permissions: they hold the same customers' tickets, names and figures."""

from __future__ import annotations

import os
from pathlib import Path

FILE_MODE, FOLDER_MODE = 0o600, 0o700


def write_private(path: Path, text: str) -> Path:
    """Write `text` (UTF-8) to `path`, readable and writable by its owner only, also when
    the file was already there with wider permissions."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    os.fchmod(fd, FILE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    return path


def private_folder(path: Path) -> Path:
    """Create `path` (and parents) owner-only; a folder that exists keeps its mode, as
    the user chose it."""
    if not path.exists():
        path.mkdir(parents=True, mode=FOLDER_MODE)
        path.chmod(FOLDER_MODE)  # mkdir's mode is filtered by the umask
    return path
