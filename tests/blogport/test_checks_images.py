"""The validation report's pictures: one finding per cause, naming what fixes it, never one
per post; a WXR picture with its attachment item is not reported."""

from __future__ import annotations

from pathlib import Path

from blogport.validate import ValidateOptions, validate
from loaders.options import ExportOptions
from loaders.run import export
from tests.blogport.cli_process import blogport
from tests.loaders.test_images import image_blog  # noqa: F401 - the fixture

PICTURES = "picture(s)"


def _picture_findings(folder: Path) -> list:
    report = validate(folder, ValidateOptions())
    assert not [f for f in report.findings if "image(s) still hot-linked" in f.message], "no per-post warnings"
    return [f for f in report.findings if f.check == "content" and PICTURES in f.message]


def test_failures_are_grouped_by_cause(image_blog: tuple[Path, str]) -> None:  # noqa: F811
    folder, base = image_blog
    export(folder, ExportOptions(formats=("wxr", "markdown"), download_images=True, image_max_bytes=2000))
    findings = _picture_findings(folder)
    markdown = [f for f in findings if f.message.startswith("markdown:")]
    assert len(markdown) == 5, [f.message for f in findings]
    by_cause = {cause: [f for f in markdown if cause in f.message]
                for cause in ("404/410", "size limit", "not images", "redirect away", "served from this machine")}
    assert all(len(found) == 1 for found in by_cause.values()), [f.message for f in markdown]
    assert f"{base}/missing.png" in by_cause["404/410"][0].message
    assert all("3 downloaded, 4 failed" in f.message for f in markdown)
    assert all(f.severity == "warning" for f in findings)
    # the WXR names every picture on the blog's host in an attachment item; the one on Blogger
    # is not moved from a blog on this machine, and the finding says why
    (wxr,) = [f for f in findings if f.message.startswith("wxr:")]
    assert "1 picture(s) in 1 item(s)" in wxr.message and "served from this machine" in wxr.message


def test_pictures_left_linked_name_the_option(image_blog: tuple[Path, str]) -> None:  # noqa: F811
    folder, _base = image_blog
    export(folder, ExportOptions(formats=("markdown",), download_images=False))
    findings = _picture_findings(folder)
    (finding,) = [f for f in findings if "were not downloaded" in f.message]
    assert "--no-download-images" in finding.message and "in 2 item(s)" in finding.message
    assert len(findings) == 2  # and the Blogger picture a blog on this machine never fetches


def test_the_command_downloads_by_default_and_keeps_links_when_told(image_blog: tuple[Path, str]) -> None:  # noqa: F811
    folder, base = image_blog
    kept = blogport("export", str(folder), "--to", "markdown", "--no-download-images")
    assert kept.returncode == 0, kept.stderr
    assert not (folder / "images").exists() and f"{base}/thumb/pic.png" in (folder / "markdown/content/posts/p1.md").read_text()
    moved = blogport("export", str(folder), "--to", "markdown")
    assert moved.returncode == 0, moved.stderr
    assert (folder / "images" / "images.json").is_file()
    assert f"{base}/thumb/pic.png" not in (folder / "markdown/content/posts/p1.md").read_text()


def test_the_report_totals_count_the_pictures(image_blog: tuple[Path, str]) -> None:  # noqa: F811
    folder, _base = image_blog
    export(folder, ExportOptions(formats=("markdown",), image_max_bytes=2000))
    report = validate(folder, ValidateOptions())
    # pic, same-bytes, flaky moved; big, missing, page, away failed; the Blogger one is never
    # fetched from a blog on this machine
    assert report.totals["images"] == {"found": 8, "downloaded": 3, "failed": 4, "still_linked": 5}
    assert "8 found, 3 downloaded, 4 failed" in report.html_path.read_text(encoding="utf-8")


def test_max_image_size_on_the_command_line(image_blog: tuple[Path, str]) -> None:  # noqa: F811
    folder, base = image_blog
    helped = blogport("export", "--help")
    assert "--max-image-size SIZE" in helped.stdout and "20MB" in helped.stdout
    small = blogport("export", str(folder), "--to", "markdown", "--max-image-size", "4K")
    assert small.returncode == 0, small.stderr
    post = folder / "markdown/content/posts/p1.md"
    assert f"{base}/big.png" in post.read_text(), "over 4K: its link is kept"
    large = blogport("export", str(folder), "--to", "markdown", "--max-image-size", "1MB")
    assert large.returncode == 0, large.stderr
    assert f"{base}/big.png" not in post.read_text(), "under 1MB: downloaded by the next export"
    wrong = blogport("export", str(folder), "--to", "markdown", "--max-image-size", "huge")
    assert wrong.returncode == 2 and "--max-image-size" in wrong.stderr and "Traceback" not in wrong.stderr
