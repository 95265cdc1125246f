"""``python -m bench.convert``: a Blogger export file converted by blogport and by pelican-import.

The 2,000-post fixture blog with its comments is written as a Blogger "Back up content" file
(``fixtures.export.render_blogger_export``). In the same run, on the same file:

* ``blogport migrate export.xml -o TMP --no-validate`` (SQLite, WordPress WXR and Markdown,
  plus redirect maps), as a subprocess;
* ``pelican-import --blogger -m markdown -o TMP2 export.xml`` (Markdown only), from a
  throwaway virtualenv under the bench output folder (installed from PyPI when missing).
  pelican-import converts every post with pandoc; without pandoc (and not root, so it cannot
  be installed with apt-get) pelican is not timed and the output says so.

Prints both wall-clock times and the speed ratio (target: blogport at least 50x faster).
The import step alone (``crawler.backup_file.read_backup``) is timed too.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
OUT = PROJECT / "bench-output" / "convert"
PELICAN_PINS = ("pelican==4.12.0", "feedparser==6.0.14", "beautifulsoup4==4.15.0", "lxml==6.1.3")
"""pelican-import --blogger needs feedparser, BeautifulSoup and lxml besides pelican."""
TARGET_RATIO = 50.0


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
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    return elapsed, done.returncode, (done.stdout + done.stderr).strip()


def last_lines(text: str, n: int = 8) -> str:
    return "\n".join(text.splitlines()[-n:])


def blogport_command() -> list[str]:
    script = Path(sys.executable).parent / "blogport"
    return [str(script)] if script.exists() else [sys.executable, "-m", "blogport.cli"]


def time_import(export: Path, work: Path) -> tuple[float, object]:
    from kernel.archive import Archive
    from crawler.backup_file import read_backup

    start = time.perf_counter()
    with Archive.in_dir(work) as archive:
        summary = read_backup(export, archive)
    return time.perf_counter() - start, summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-pelican", action="store_true")
    args = parser.parse_args(argv)

    from fixtures.blogger import generate_blog
    from fixtures.export import render_blogger_export

    OUT.mkdir(parents=True, exist_ok=True)
    blog = generate_blog(seed=args.seed, posts=args.posts)
    export = OUT / "export.xml"
    export.write_bytes(render_blogger_export(blog))
    n_comments = sum(len(p.comments) for p in blog.posts)
    print(f"export: {export} ({export.stat().st_size / 1e6:.1f} MB; {len(blog.posts)} posts and pages,"
          f" {n_comments} comments)")

    failed = False
    with tempfile.TemporaryDirectory(dir=OUT, prefix="run-") as tmp_name:
        tmp = Path(tmp_name)
        seconds_import, summary = time_import(export, tmp / "import-only")
        print(f"blogport import only (crawler.backup_file.read_backup): {seconds_import:.2f} s"
              f" ({summary.posts} posts, {summary.pages} pages, {summary.comments} comments)")

        cmd = [*blogport_command(), "migrate", str(export), "-o", str(tmp / "blogport"), "--no-validate",
               "--no-progress"]
        seconds_blogport, code, output = timed(cmd, PROJECT)
        md_files = len(list((tmp / "blogport" / "markdown").rglob("*.md")))
        print(f"blogport migrate --no-validate (sqlite, wxr, markdown): {seconds_blogport:.2f} s, exit {code},"
              f" {md_files} Markdown files")
        for line in output.splitlines():  # where the time went, as the stages report it
            if "transformed" in line or "Export took" in line:
                print("  stage:" + line.rstrip())
        if code != 0:
            failed = True
            print("  " + last_lines(output).replace("\n", "\n  "))

        seconds_pelican = None
        if args.skip_pelican:
            print("pelican-import: skipped (--skip-pelican)")
        else:
            has_pandoc, pandoc_note = ensure_pandoc()
            pelican, pelican_note = ensure_pelican(OUT / "pelican-venv")
            print(f"pelican: {pelican_note}; {pandoc_note}")
            if pelican is None:
                print("pelican-import: not timed (pelican could not be installed)")
            elif not has_pandoc:
                print("pelican-import: not timed: its Markdown and reST output both need pandoc")
            else:
                cmd = [str(pelican), "--blogger", "-m", "markdown", "-o", str(tmp / "pelican"), str(export)]
                seconds_pelican, code, output = timed(cmd, tmp)
                files = len(list((tmp / "pelican").rglob("*.md")))
                print(f"pelican-import --blogger -m markdown: {seconds_pelican:.2f} s, exit {code},"
                      f" {files} Markdown files")
                if code != 0:
                    print("  " + last_lines(output).replace("\n", "\n  "))
                    seconds_pelican = None

        if seconds_pelican is not None and code == 0 and seconds_blogport > 0:
            ratio = seconds_pelican / seconds_blogport
            verdict = "meets" if ratio >= TARGET_RATIO else "below"
            print(f"speed ratio (pelican-import / blogport migrate): {ratio:.1f}x ({verdict} the {TARGET_RATIO:.0f}x target)")
            print(f"speed ratio against the import step alone: {seconds_pelican / seconds_import:.1f}x")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
