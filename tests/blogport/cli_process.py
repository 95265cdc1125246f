"""Run the real ``blogport`` command in a child process, as cron or a user would."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[2]


def blogport(*args: str, **kw: Any) -> subprocess.CompletedProcess[str]:
    """``blogport ARGS`` from the project folder; output captured as text; at most 240 s."""
    return subprocess.run([sys.executable, "-m", "blogport.cli", *args], capture_output=True, text=True,
                          cwd=PROJECT, timeout=240, **kw)
