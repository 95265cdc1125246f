"""A validation runs with Python's cyclic garbage collector paused: it leaves the collector as it
found it, and makes no cyclic garbage that the pause would keep."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from blogport.validate import ValidateOptions, validate
from kernel.errors import ArchiveError
from tests.blogport.test_validate import build_migration


@pytest.mark.parametrize("enabled", [True, False])
def test_validation_leaves_the_collector_as_it_found_it(tmp_path: Path, enabled: bool) -> None:
    out = build_migration(tmp_path / "out")
    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        validate(out, ValidateOptions())
        assert gc.isenabled() is enabled
        with pytest.raises(ArchiveError):
            validate(tmp_path / "nothing here", ValidateOptions())
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


def test_validation_makes_no_cyclic_garbage(tmp_path: Path) -> None:
    out = build_migration(tmp_path / "out")
    validate(out, ValidateOptions())  # the first one imports and loads what later ones reuse
    was = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        validate(out, ValidateOptions())
        assert gc.collect() == 0
    finally:
        if was:
            gc.enable()
