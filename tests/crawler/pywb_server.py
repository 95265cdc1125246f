"""Test helper: a real pywb Wayback server on 127.0.0.1 with a collection of WARC files."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
#: pywb lives in its own virtualenv (its pins clash with the project's): ``.venv-pywb``.
PYWB_BIN = PROJECT / ".venv-pywb" / "bin"


def pywb_tool(name: str) -> str:
    path = PYWB_BIN / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if found:
        return found
    reason = f"pywb is not installed ({path}; python3 -m venv .venv-pywb && .venv-pywb/bin/pip install pywb==2.10.0)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason + "; in CI it is always installed")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Pywb:
    """``wb-manager init COLL``, ``wb-manager add COLL FILE``, ``wayback -b 127.0.0.1 -p PORT``
    in a folder of its own; stopped (and waited for) on exit."""

    def __init__(self, folder: Path, warcs: list[Path], coll: str = "blog") -> None:
        self.folder, self.warcs, self.coll = folder, warcs, coll
        self.port = _free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def prefix(self) -> str:
        return f"http://127.0.0.1:{self.port}/{self.coll}"

    def __enter__(self) -> "Pywb":
        self.folder.mkdir(parents=True, exist_ok=True)
        manager = pywb_tool("wb-manager")
        subprocess.run([manager, "init", self.coll], cwd=self.folder, check=True, capture_output=True, timeout=120)
        for warc in self.warcs:
            subprocess.run([manager, "add", self.coll, str(warc)], cwd=self.folder, check=True,
                           capture_output=True, timeout=300)
        self.proc = subprocess.Popen([pywb_tool("wayback"), "-b", "127.0.0.1", "-p", str(self.port)],
                                     cwd=self.folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{self.prefix}/cdx?url=x", timeout=2).read()
                return self
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("pywb stopped at start")
                time.sleep(0.1)
        self.__exit__()
        raise RuntimeError("pywb did not start")

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
