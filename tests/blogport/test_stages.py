"""blogport.stages.TerminalDisplay: its live line's refresh thread steps aside for a fork."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

_SCRIPT = """
import io, json, os, threading
from rich.console import Console
from blogport.stages import TerminalDisplay
from kernel.forked import ForkedCall

err = io.StringIO()
display = TerminalDisplay(out=Console(file=io.StringIO()), err=Console(file=err, force_terminal=True))
seen = {"threads_before": threading.active_count()}
display.start("export", "sqlite, wxr, markdown")
seen["threads_live"] = threading.active_count()
seen["possible"] = ForkedCall.possible()
seen["child_pid"] = ForkedCall(os.getpid).join()
seen["threads_after_fork"] = threading.active_count()
display.progress(1, 3, "wxr")
seen["drawn"] = "wxr" in err.getvalue()
display.end([])
seen["pid"] = os.getpid()
print(json.dumps(seen))
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is not available here")
def test_a_live_stage_forks_and_its_line_keeps_running() -> None:
    """In an interpreter of its own (no test threads): the live line's refresh thread is the one
    other thread, a fork is possible beside it, the work runs in a child, the line runs again."""
    done = subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["threads_before"] == 1 and seen["threads_live"] == 2
    assert seen["possible"] is True
    assert seen["child_pid"] not in (None, seen["pid"])  # forked, not done here
    assert seen["threads_after_fork"] == 2  # the live line's refresh runs again
    assert seen["drawn"] is True
