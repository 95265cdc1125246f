"""``migrate`` of a live blog imports the later stages (transform, export, validation) while
the crawl process works, in a thread of its own that is gone once the crawl stage ends; run
from the command line, blogport exits once its work is flushed, its threads done and its
exit handlers run, without the interpreter's teardown.

Real parts: the fixture blog over HTTP on 127.0.0.1, a fresh Python for each run (so that
the modules are imported there for the first time), the real crawl process, the living
children read from ``/proc``."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from fixtures.blogger import generate_blog
from fixtures.server import FixtureServer
from tests.blogport.cli_process import PROJECT

_MIGRATE = textwrap.dedent("""
    import json, sys, threading
    from pathlib import Path

    def children():
        return sum(len((task / "children").read_text().split()) for task in Path("/proc/self/task").iterdir())

    import blogport.migrate
    from blogport.config import MigrationConfig
    from crawler.options import CrawlOptions

    warm = blogport.migrate.WARM_MODULES
    before = [name for name in warm if name in sys.modules]
    seen = []
    imports = blogport.migrate.StageWarmup._import

    def watched(self):
        seen.append({"thread": threading.current_thread().name, "children": children(),
                     "loaded": [name for name in warm if name in sys.modules]})
        imports(self)
        seen.append({"loaded": [name for name in warm if name in sys.modules]})

    blogport.migrate.StageWarmup._import = watched
    config = MigrationConfig(source=sys.argv[1], crawl=CrawlOptions(via="html", autothrottle=False, progress=False))
    result = blogport.migrate.migrate(config, Path(sys.argv[2]))
    print(json.dumps({"before": before, "seen": seen, "warm": warm, "code": result.exit_code,
                      "threads": [t.name for t in threading.enumerate()], "children": children()}))
""")



def test_live_migrate_imports_the_later_stages_while_the_crawl_process_works(tmp_path: Path) -> None:
    with FixtureServer(generate_blog(seed=23, posts=12)) as server:
        done = subprocess.run([sys.executable, "-c", _MIGRATE, server.base_url + "/", str(tmp_path / "site")],
                              capture_output=True, text=True, cwd=PROJECT, timeout=240)
    assert done.returncode == 0, done.stderr
    facts = json.loads(done.stdout.splitlines()[-1])
    assert facts["code"] == 0
    assert facts["before"] == [], "the later stages are not imported before the crawl"
    started, ended = facts["seen"]
    assert started["thread"] == "blogport-warmup" and started["loaded"] == []
    assert started["children"] >= 1, "imported while the crawl process runs"
    assert ended["loaded"] == facts["warm"]
    assert facts["threads"] == ["MainThread"] and facts["children"] == 0
    assert (tmp_path / "site" / "report.json").is_file() and (tmp_path / "site" / "wordpress.xml").is_file()


_EXIT = textwrap.dedent("""
    import atexit, sys, threading, time
    from pathlib import Path
    from blogport.cli import main

    marker = Path(sys.argv[1])

    def late():
        time.sleep(0.3)
        marker.write_text("written")

    threading.Thread(target=late).start()  # not a daemon: waited for, as at a normal exit
    atexit.register(lambda: print("exit handler ran"))
    sys.argv = ["blogport", *sys.argv[2:]]
    main()
""")


def test_the_command_line_exit_waits_for_threads_runs_exit_handlers_and_flushes(tmp_path: Path) -> None:
    marker = tmp_path / "late.txt"
    done = subprocess.run([sys.executable, "-c", _EXIT, str(marker), "--version"], capture_output=True, text=True,
                          cwd=PROJECT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [done.stdout.splitlines()[0], "exit handler ran"]
    assert "blogport" in done.stdout.splitlines()[0]
    assert marker.read_text() == "written"

    missing = tmp_path / "nothing-here"
    failed = subprocess.run([sys.executable, "-c", _EXIT, str(tmp_path / "late2.txt"), "transform", str(missing)],
                            capture_output=True, text=True, cwd=PROJECT, timeout=60)
    assert failed.returncode == 2
    assert failed.stderr.count("\n") == 1 and "Traceback" not in failed.stderr
    assert failed.stdout == "exit handler ran\n"


def _children() -> set[int]:
    return {int(p) for task in Path("/proc/self/task").iterdir() for p in (task / "children").read_text().split()}


def test_a_refused_output_folder_leaves_no_crawl_process(tmp_path: Path) -> None:
    """The crawl process of a live migrate is started before the output folder is checked:
    a folder that is refused ends it, unused, with the one-line error."""
    from blogport.config import MigrationConfig
    from blogport.migrate import migrate
    from crawler.options import CrawlOptions
    from kernel.errors import ExportError

    site = tmp_path / "site"
    site.mkdir()
    (site / "notes.txt").write_text("mine")
    before = _children()
    config = MigrationConfig(source="http://127.0.0.1:9/", crawl=CrawlOptions(via="html", progress=False))
    try:
        migrate(config, site)
    except ExportError as exc:
        assert "is not empty" in str(exc)
    else:
        raise AssertionError("a folder holding other files is refused")
    assert _children() <= before
    assert sorted(p.name for p in site.iterdir()) == ["notes.txt"]
