"""The output-folder lock: one blogport run per DIR, released on any exit (SIGKILL included)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from blogport.config import MigrationConfig, save_config
from blogport.lock import LOCK_NAME, hold_lock, is_locked
from kernel.archive import Archive
from kernel.errors import LockedError

PROJECT = Path(__file__).resolve().parents[2]

HOLDER = """
import sys, time
from blogport.lock import hold_lock
with hold_lock(sys.argv[1]):
    print("locked", flush=True)
    time.sleep(60)
"""


def _start_holder(folder: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(folder)], stdout=subprocess.PIPE, text=True,
                            cwd=PROJECT)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_second_holder_fails_at_once_with_pid_and_folder(tmp_path: Path) -> None:
    proc = _start_holder(tmp_path)
    try:
        started = time.monotonic()
        with pytest.raises(LockedError) as info:
            with hold_lock(tmp_path):
                pass
        assert time.monotonic() - started < 2
        assert str(info.value) == f"another blogport run (pid {proc.pid}) is using {tmp_path}"
        assert LockedError.exit_code == 2
        assert is_locked(tmp_path) == proc.pid
    finally:
        proc.kill()
        proc.wait()


def test_sigkill_releases_the_lock(tmp_path: Path) -> None:
    proc = _start_holder(tmp_path)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert (tmp_path / LOCK_NAME).exists()  # a stale file is harmless: the kernel dropped the lock
    assert is_locked(tmp_path) is None
    with hold_lock(tmp_path):
        assert (tmp_path / LOCK_NAME).read_text().strip() == str(os.getpid())


def test_lock_is_reentrant_in_one_process_and_released_after(tmp_path: Path) -> None:
    with hold_lock(tmp_path):
        with hold_lock(tmp_path):  # migrate holding it while a stage takes it again
            pass
        # still held by us after the inner block
        proc = subprocess.run([sys.executable, "-c", HOLDER, str(tmp_path)], capture_output=True, text=True,
                              cwd=PROJECT, timeout=30)
        assert proc.returncode != 0 and "LockedError" in proc.stderr
    assert is_locked(tmp_path) is None


def test_released_when_the_block_raises(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError):
        with hold_lock(tmp_path):
            raise RuntimeError("boom")
    with hold_lock(tmp_path):
        pass


def test_cli_sync_exits_2_while_another_run_holds_the_folder(tmp_path: Path) -> None:
    with Archive.in_dir(tmp_path) as archive:
        save_config(archive, MigrationConfig(source="http://127.0.0.1:9/"))
    proc = _start_holder(tmp_path)
    try:
        started = time.monotonic()
        run = subprocess.run([sys.executable, "-m", "blogport.cli", "sync", str(tmp_path)], capture_output=True,
                             text=True, cwd=PROJECT, timeout=60)
        assert run.returncode == 2
        assert f"blogport: error: another blogport run (pid {proc.pid}) is using {tmp_path}" in run.stderr
        assert "Traceback" not in run.stderr
        assert time.monotonic() - started < 30
    finally:
        proc.kill()
        proc.wait()
    with Archive.in_dir(tmp_path) as archive:  # the refused run wrote nothing
        assert archive.conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE name = 'runs'").fetchone()[0] in (0, 1)
        tables = {r[0] for r in archive.conn.execute("SELECT name FROM sqlite_master")}
        if "runs" in tables:
            assert archive.conn.execute("SELECT count(*) FROM runs").fetchone()[0] == 0
