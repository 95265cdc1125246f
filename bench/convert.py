"""``python -m bench.convert``: Blogger export files converted by blogport and by pelican-import.

The fixture blog with its comments is written as Blogger "Back up content" files of 200 and
2,000 posts (``fixtures.export.render_blogger_export``; ``--sizes``). In the same run, on the
same file:

* ``blogport migrate export.xml -o TMP --no-validate --no-download-images`` (SQLite,
  WordPress WXR and Markdown, plus redirect maps; the pictures stay links, as
  pelican-import leaves them), as a subprocess, then the same with the validation report;
* ``pelican-import --blogger -m markdown -o TMP2 export.xml`` (Markdown only): the
  ``pelican-import`` beside this Python (pelican is a test dependency), else one installed
  into a throwaway virtualenv under the bench output folder. pelican-import converts every
  post with pandoc; without pandoc (and not root, so it cannot be installed with apt-get)
  pelican is not timed and the output says so.

Prints both wall-clock times and the speed ratio (targets: the 200-post file in under a
second, blogport at least 50x faster on both sizes), and blogport's CPU time, which a machine
busy with other work changes less (``--repeat N``: the fastest of N runs). The import step alone
(``crawler.backup_file.read_backup``) is timed too.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
OUT = PROJECT / "bench-output" / "convert"
PELICAN_PINS = ("pelican==4.11.0", "feedparser==6.0.14", "beautifulsoup4==4.15.0", "lxml==6.1.3")
"""pelican-import --blogger needs feedparser, BeautifulSoup and lxml besides pelican."""
TARGET_RATIO = 50.0
TARGET_SMALL_S = 1.0


def ensure_pandoc() -> tuple[bool, str]:
    """pandoc on PATH; installed with apt-get when missing and running as root."""
    if shutil.which("pandoc"):
        return True, "pandoc found"
    if os.name != "posix" or os.geteuid() != 0 or not shutil.which("apt-get"):
        return False, "pandoc is not installed and this is not root: cannot apt-get install it"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    cmd = ["apt-get", "install", "-y", "-qq", "pandoc"]
    if subprocess.call(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) != 0:
        subprocess.call(["apt-get", "update", "-qq"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.call(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if shutil.which("pandoc"):
        return True, "pandoc installed with apt-get for this bench"
    return False, "apt-get install pandoc failed"


def ensure_pelican(folder: Path) -> tuple[Path | None, str]:
    """``pelican-import`` from a throwaway venv in ``folder`` (created and filled when missing)."""
    exe = folder / "bin" / "pelican-import"
    stamp = folder / ".blogport-pins"
    if exe.exists() and stamp.exists() and stamp.read_text() == " ".join(PELICAN_PINS):
        return exe, "pelican from " + str(folder)
    try:
        if not (folder / "bin" / "python").exists():
            venv.EnvBuilder(with_pip=True, clear=True).create(folder)
        subprocess.run([str(folder / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                        *PELICAN_PINS], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        return None, f"could not install pelican: {detail.strip().splitlines()[-1] if detail.strip() else exc}"
    if not exe.exists():
        return None, "no pelican-import after installing pelican"
    stamp.write_text(" ".join(PELICAN_PINS))
    return exe, f"installed {' '.join(PELICAN_PINS)} into {folder}"


def timed(cmd: list[str], cwd: Path) -> tuple[float, int, str]:
    """Wall-clock seconds, exit code and the whole output of one command."""
    elapsed, _cpu, code, output = timed_cpu(cmd, cwd)
    return elapsed, code, output


def timed_cpu(cmd: list[str], cwd: Path) -> tuple[float, float, int, str]:
    """Wall-clock seconds, CPU seconds (user and system, of the command and the children it
    waited for), exit code and the whole output of one command. On a machine shared with other
    work the CPU time moves less from run to run than the wall-clock time."""
    from bench.crawl import _env, bench_cwd

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=bench_cwd() if cwd == PROJECT else cwd, capture_output=True, text=True,
                          env=_env())
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu, done.returncode, (done.stdout + done.stderr).strip()


def last_lines(text: str, n: int = 8) -> str:
    return "\n".join(text.splitlines()[-n:])


def blogport_command() -> list[str]:
    script = Path(sys.executable).parent / "blogport"
    return [str(script)] if script.exists() else [sys.executable, "-m", "blogport.cli"]


def time_import(export: Path, work: Path) -> tuple[float, object]:
    from crawler.backup_file import read_backup
    from kernel.archive import Archive

    start = time.perf_counter()
    with Archive.in_dir(work) as archive:
        summary = read_backup(export, archive)
    return time.perf_counter() - start, summary


def find_pelican() -> tuple[Path | None, str]:
    """``pelican-import`` beside this Python when it can read Blogger files, else a throwaway one."""
    here = Path(sys.executable).parent / "pelican-import"
    has_feedparser = subprocess.run([sys.executable, "-c", "import feedparser, bs4"], capture_output=True).returncode == 0
    if here.exists() and has_feedparser:
        return here, f"pelican from {here.parent}"
    return ensure_pelican(OUT / "pelican-venv")


def run_pelican(export: Path, out: Path, cwd: Path) -> tuple[float | None, str]:
    """Seconds ``pelican-import --blogger -m markdown`` takes on ``export`` (None and why when
    it cannot run)."""
    has_pandoc, pandoc_note = ensure_pandoc()
    pelican, pelican_note = find_pelican()
    if pelican is None:
        return None, pelican_note
    if not has_pandoc:
        return None, f"{pandoc_note}: pelican-import's Markdown output needs pandoc"
    seconds, code, output = timed([str(pelican), "--blogger", "-m", "markdown", "-o", str(out), str(export)], cwd)
    if code != 0:
        return None, f"pelican-import failed (exit {code}): {last_lines(output, 3)}"
    return seconds, f"{pelican_note}; {pandoc_note}; {len(list(out.rglob('*.md')))} Markdown files"


def convert_one(posts: int, seed: int, skip_pelican: bool, tmp: Path, repeat: int = 1) -> bool:
    """Both tools on one export file of ``posts`` posts; False when blogport failed."""
    from fixtures.blogger import generate_blog
    from fixtures.export import render_blogger_export

    blog = generate_blog(seed=seed, posts=posts)
    export = tmp / f"export-{posts}.xml"
    export.write_bytes(render_blogger_export(blog))
    n_comments = sum(len(p.comments) for p in blog.posts)
    print(f"[{posts} posts] export file: {export.stat().st_size / 1e6:.1f} MB; {len(blog.posts)} posts and pages,"
          f" {n_comments} comments")
    seconds_import, summary = time_import(export, tmp / f"import-only-{posts}")
    print(f"[{posts} posts] blogport import only (crawler.backup_file.read_backup): {seconds_import:.2f} s"
          f" ({summary.posts} posts, {summary.pages} pages, {summary.comments} comments)")
    ok = True
    seconds: dict[str, float] = {}
    for label, extra in (("--no-validate", ["--no-validate"]), ("with the report", [])):
        runs = []
        for attempt in range(max(1, repeat)):
            out = tmp / f"blogport-{posts}-{len(extra)}-{attempt}"
            cmd = [*blogport_command(), "migrate", str(export), "-o", str(out), "--no-download-images",
                   "--no-progress", *extra]
            runs.append((*timed_cpu(cmd, PROJECT), out))
        wall, cpu, code, output, out = min(runs, key=lambda run: run[0])
        seconds[label] = wall
        md_files = len(list((out / "markdown").rglob("*.md")))
        best = f" (best of {len(runs)})" if len(runs) > 1 else ""
        print(f"[{posts} posts] blogport migrate {label} (sqlite, wxr, markdown, redirects): {wall:.2f} s{best},"
              f" CPU {min(run[1] for run in runs):.2f} s, exit {code}, {md_files} Markdown files")
        for line in output.splitlines():  # where the time went, as the stages report it
            if "transformed" in line or "Export took" in line:
                print(f"  stage: {line.strip()}")
        if code not in (0, 1):
            ok = False
            print("  " + last_lines(output).replace("\n", "\n  "))
    if posts <= 200:
        fast = seconds["--no-validate"]
        print(f"[{posts} posts] target: under {TARGET_SMALL_S:.0f} s to all formats:"
              f" {'met' if fast < TARGET_SMALL_S else 'NOT met'} ({fast:.2f} s)")
    if skip_pelican:
        print(f"[{posts} posts] pelican-import: skipped (--skip-pelican)")
        return ok
    seconds_pelican, note = run_pelican(export, tmp / f"pelican-{posts}", tmp)
    if seconds_pelican is None:
        print(f"[{posts} posts] pelican-import: not timed ({note})")
        return ok
    print(f"[{posts} posts] pelican-import --blogger -m markdown: {seconds_pelican:.2f} s ({note})")
    for label, value in seconds.items():
        ratio = seconds_pelican / value
        verdict = "meets" if ratio >= TARGET_RATIO else "below"
        print(f"[{posts} posts] speed ratio (pelican-import / blogport migrate {label}): {ratio:.1f}x"
              f" ({verdict} the {TARGET_RATIO:.0f}x target)")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="200,2000", help="posts per export file, comma-separated")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-pelican", action="store_true")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run each blogport migrate this many times and report the fastest (CPU: the least)")
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    ok = True
    with tempfile.TemporaryDirectory(dir=OUT, prefix="run-") as tmp_name:
        for posts in (int(n) for n in args.sizes.split(",") if n):
            ok = convert_one(posts, args.seed, args.skip_pelican, Path(tmp_name), args.repeat) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
