"""File and folder names Windows reserves (CON, NUL, COM1...) are renamed: an exported folder
copied to a Windows machine must keep every file."""

from __future__ import annotations

import pytest

from loaders.source import WINDOWS_RESERVED, slug_part


@pytest.mark.parametrize("title, expected", [("CON", "con-1"), ("Nul", "nul-1"), ("com1", "com1-1"),
                                             ("LPT9", "lpt9-1"), ("aux.html", "aux-html")])
def test_reserved_names_are_renamed(title: str, expected: str) -> None:
    slug = slug_part(title)
    assert slug == expected
    assert slug.split(".")[0].lower() not in WINDOWS_RESERVED


@pytest.mark.parametrize("title", ["Console", "Nullable", "com10", "conference call", "prune"])
def test_names_that_only_look_alike_stay(title: str) -> None:
    assert not slug_part(title).endswith("-1")
