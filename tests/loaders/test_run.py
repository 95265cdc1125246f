from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from blogport.cli import main
from kernel.errors import ArchiveError, ExportError
from loaders.atomic import atomic_write, file_mode, write_if_changed
from loaders.options import ExportOptions
from loaders.run import export
from tests.loaders.conftest import build_blog, nasty_models


def _hashes(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.startswith("blog.db")
    }


def test_summary_and_ledger(nasty_dir: Path) -> None:
    summary = export(nasty_dir, ExportOptions())
    assert summary.exit_code == 0
    lines = summary.summary_lines()
    text = "\n".join(lines)
    for where in ("blog.db", "wordpress.xml", "markdown", "redirects"):
        assert where in text
    data = json.loads(json.dumps(summary.as_dict()))
    assert data["counts"]["wxr"]["posts"] == 13 and data["counts"]["wxr"]["pages"] == 1
    assert data["counts"]["markdown"]["comments"] == len(nasty_models()["comments"])
    assert "wordpress.xml" in data["files"] and "redirects/redirects.csv" in data["files"]
    conn = sqlite3.connect(nasty_dir / "blog.db")
    rows = conn.execute("SELECT format, item_type, item_id, location FROM export_ledger").fetchall()
    conn.close()
    models = nasty_models()
    for fmt in ("sqlite", "wxr", "markdown"):
        ids = {(t, i) for f, t, i, _ in rows if f == fmt}
        assert {("page" if p.kind == "page" else "post", p.id) for p in models["posts"]} | \
            {("comment", c.id) for c in models["comments"]} == ids, fmt
    for f, _t, _i, loc in rows:
        if f != "sqlite":
            assert (nasty_dir / loc).is_file(), loc
    # a narrower export rewrites the ledger as a whole
    export(nasty_dir, ExportOptions(formats=("wxr",)))
    conn = sqlite3.connect(nasty_dir / "blog.db")
    assert {r[0] for r in conn.execute("SELECT DISTINCT format FROM export_ledger")} == {"wxr"}
    conn.close()


@pytest.mark.parametrize("flavor", ["hugo", "jekyll"])
def test_rerun_is_byte_identical(tmp_path: Path, flavor: str) -> None:
    folder = build_blog(tmp_path / "a")
    export(folder, ExportOptions(flavor=flavor, max_size=6000))
    first = _hashes(folder)
    export(folder, ExportOptions(flavor=flavor, max_size=6000))
    assert _hashes(folder) == first
    other = build_blog(tmp_path / "b")  # a fresh archive of the same blog gives the same files
    export(other, ExportOptions(flavor=flavor, max_size=6000))
    assert _hashes(other) == first
    assert not [p for p in folder.rglob("*") if p.name.endswith(".tmp")]


def test_missing_archive_and_untransformed_archive(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match="no archive"):
        export(tmp_path / "nothing", ExportOptions())
    folder = tmp_path / "raw"
    folder.mkdir()
    conn = sqlite3.connect(folder / "blog.db")
    conn.execute("CREATE TABLE raw_posts (url TEXT PRIMARY KEY, post_id TEXT, page_url TEXT, record TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(ArchiveError, match="run blogport transform"):
        export(folder, ExportOptions())


def test_bad_options(nasty_dir: Path) -> None:
    with pytest.raises(ExportError, match="format"):
        export(nasty_dir, ExportOptions(formats=("pdf",)))
    with pytest.raises(ExportError, match="tags"):
        export(nasty_dir, ExportOptions(tags_as="labels"))


def test_cli_export(nasty_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["export", str(nasty_dir), "--flavor", "jekyll", "--max-size", "8K"])
    assert result.exit_code == 0, result.output
    assert "WordPress WXR" in result.output and (nasty_dir / "markdown" / "_posts").is_dir()
    result = runner.invoke(main, ["export", str(tmp_path / "missing")])
    assert result.exit_code == 2
    assert "blogport: error:" in result.output and "Traceback" not in result.output


def test_atomic_write_keeps_the_old_file_on_error(tmp_path: Path) -> None:
    target = tmp_path / "f.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_write(target) as fh:
            fh.write("half")
            raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]
    with atomic_write(target) as fh:
        fh.write("new")
    assert target.read_text() == "new"



def test_write_if_changed_makes_folders_and_files_as_atomic_write_does(tmp_path: Path) -> None:
    import os
    import stat

    target = tmp_path / "a" / "b" / "post.md"
    assert write_if_changed(target, b"one") is True
    assert target.read_bytes() == b"one"
    assert stat.S_IMODE(target.stat().st_mode) == file_mode()
    assert write_if_changed(target, b"one") is False
    assert write_if_changed(target, b"two!") is True and target.read_bytes() == b"two!"
    assert os.listdir(target.parent) == ["post.md"]  # no temporary file left
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADirectoryError):  # a file where a folder should be
        write_if_changed(tmp_path / "file" / "post.md", b"one")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "file"]

def test_wxr_only_export_redirects_to_wordpress_permalinks(nasty_dir: Path) -> None:
    import csv

    export(nasty_dir, ExportOptions(formats=("wxr",)))
    with open(nasty_dir / "redirects" / "redirects.csv", newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row["kind"] == "post"]
    assert rows, "no post redirects written"
    # WordPress "Month and name" permalinks, as the WXR's rewritten links use; never Hugo's /posts/.
    assert all(not row["new"].startswith("/posts/") for row in rows)
    assert any(row["new"].count("/") == 4 and row["new"][1:5].isdigit() for row in rows)


def test_formats_flavours_choices_and_checks_come_from_the_tables(nasty_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    import blogport.checks.exports as export_checks
    from blogport.checks.context import load_context
    from loaders.options import ALL_FORMATS
    from loaders.run import EXPORTERS
    from loaders.site_flavors import FLAVOR_TABLE, TARGETS

    assert ALL_FORMATS == tuple(e.name for e in EXPORTERS)
    assert all(e.check in export_checks.FORMAT_CHECKS for e in EXPORTERS)
    export_cmd = main.commands["export"]
    choices = {p.name: getattr(p.type, "choices", None) for p in export_cmd.params}
    assert tuple(choices["flavor"]) == tuple(f.name for f in FLAVOR_TABLE)
    assert tuple(choices["redirects_for"]) == TARGETS
    # a format whose check validation does not know is an error, not a pass
    summary = export(nasty_dir, ExportOptions(formats=("sqlite", "markdown"), download_images=False))
    assert summary.exit_code == 0
    ctx, archive = load_context(nasty_dir)
    try:
        clean = [f for f in export_checks.check_exports(ctx) if f.severity == "error"]
        unknown = tuple(dataclasses.replace(e, check="nobody") if e.name == "markdown" else e for e in EXPORTERS)
        monkeypatch.setattr(export_checks, "EXPORTERS", unknown)
        errors = [f.message for f in export_checks.check_exports(ctx) if f.severity == "error"]
    finally:
        archive.close()
    assert any("no validation check reads the markdown export" in m for m in errors)
    assert not any("no validation check" in f.message for f in clean)


def _children() -> list[str]:
    pid = os.getpid()
    listing = Path(f"/proc/{pid}/task/{pid}/children")
    return listing.read_text().split() if listing.exists() else []


def _export_state(folder: Path, options: ExportOptions) -> tuple[dict[str, str], list[tuple], dict]:
    summary = export(folder, options).as_dict()
    summary.pop("elapsed_s")
    summary["out_dir"] = ""  # the folders differ
    conn = sqlite3.connect(folder / "blog.db")
    ledger = conn.execute("SELECT * FROM export_ledger").fetchall()
    conn.close()
    return _hashes(folder), ledger, summary


_WXR_CHILD_SCRIPT = """
import json, os, sys
from pathlib import Path
import loaders.run as run_module
from loaders.options import ExportOptions
from tests.loaders.conftest import build_blog
from tests.loaders.test_run import _export_state, _children

folder, mode, calls = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
run_module._PARALLEL_WXR_ITEMS = 10**9 if mode == "here" else 1
original, original_redirects, parent = run_module._write_wxr, run_module.write_redirects, os.getpid()
redirect_calls = calls.with_suffix(".redirects")

def writing(run):
    with calls.open("a") as fh:
        fh.write(f"{os.getpid()}\\n")
    if mode == "fallback" and os.getpid() != parent:
        raise OSError("the child fails")
    return original(run)

def redirecting(*args, **kwargs):
    with redirect_calls.open("a") as fh:
        fh.write(f"{os.getpid()}\\n")
    if mode == "fallback-redirects" and os.getpid() != parent:
        raise OSError("the child fails at the redirect maps")
    return original_redirects(*args, **kwargs)

run_module._write_wxr = writing
run_module.write_redirects = redirecting
state = _export_state(build_blog(folder), ExportOptions(max_size=6000))

def in_child(path):
    return [int(pid) != parent for pid in path.read_text().split()] if path.exists() else []

print(json.dumps({"state": state, "in_child": in_child(calls), "redirects_in_child": in_child(redirect_calls),
                  "children_left": _children(), "temps_left": sorted(p.name for p in folder.rglob("*.tmp"))}))
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the WXR is written in a forked child only where fork is")
def test_wxr_written_in_a_child_is_the_wxr_written_here(tmp_path: Path) -> None:
    """A blog big enough writes its WXR in a forked child while the Markdown is written: the
    files, the ledger and the summary are the same as when this process writes it; a child
    that fails leaves the WXR to this process; no child is left behind. The redirect maps are
    written in the child after its WXR (here when it failed, at either). Each export runs in an
    interpreter of its own, where no other thread runs (the export never forks beside one).
    Several WXR files (``max_size``): their names and order come back from the child."""
    import subprocess
    import sys

    def run(mode: str) -> dict[str, Any]:
        done = subprocess.run([sys.executable, "-c", _WXR_CHILD_SCRIPT, str(tmp_path / mode), mode,
                               str(tmp_path / f"{mode}.calls")], capture_output=True, text=True,
                              cwd=Path(__file__).resolve().parents[2], timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads(done.stdout.strip().splitlines()[-1])

    alone, forked, fallback = run("here"), run("child"), run("fallback")
    late_fallback = run("fallback-redirects")
    assert alone["in_child"] == []  # written here by the formats' table, not through the child's path
    assert forked["in_child"] == [True]  # written by a child, once
    assert fallback["in_child"] == [True, False]  # the child failed: written here after it
    assert late_fallback["in_child"] == [True, False]  # the child failed after its WXR: both written here
    # the redirect maps: here, or in the child after its WXR, or here when the child failed
    assert alone["redirects_in_child"] == fallback["redirects_in_child"] == [False]
    assert forked["redirects_in_child"] == [True]
    assert late_fallback["redirects_in_child"] == [True, False]
    assert forked["state"] == alone["state"] == fallback["state"] == late_fallback["state"]
    assert len([f for f in alone["state"][0] if f.startswith("wordpress")]) > 1
    assert any(f.startswith("redirects/") for f in alone["state"][0])
    assert forked["children_left"] == fallback["children_left"] == late_fallback["children_left"] == []
    assert forked["temps_left"] == fallback["temps_left"] == late_fallback["temps_left"] == []
