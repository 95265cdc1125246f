"""CPU seconds of this process and of the children it has waited for.

The transform forks the second half of a big blog's posts into a child, and validation its
content check (``kernel.forked``): a figure per core must count their CPU too, or a forked run
looks cheaper than it is. ``os.times`` counts a child once it was reaped, as ``ForkedCall``
reaps its own; its ticks are 10 ms, so a figure of a few tenths of a second carries a few
percent of rounding.
"""

from __future__ import annotations

import os
import time


def cpu_seconds() -> float:
    """This process's CPU seconds plus those of its reaped children."""
    times = os.times()
    return time.process_time() + times.children_user + times.children_system
