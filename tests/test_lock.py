from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from deskpulse.app.sync.lock import LockedError, WriterLock


def test_a_second_writer_is_refused_with_the_holders_pid(tmp_path):
    db = tmp_path / "x.db"
    with WriterLock(db):
        with pytest.raises(LockedError, match=rf"pid {os.getpid()}"):
            WriterLock(db).__enter__()
    with WriterLock(db):  # released on exit
        pass


def test_a_killed_writer_does_not_leave_the_file_locked(tmp_path):
    db = tmp_path / "x.db"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from deskpulse.app.sync.lock import WriterLock\n"
         f"l = WriterLock({str(db)!r}).__enter__(); print('held', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(LockedError):
            WriterLock(db).__enter__()
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
        with WriterLock(db):
            pass
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
