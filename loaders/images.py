"""Optional download of a post's images into the Markdown output, with links rewritten.

Each image is fetched once per run (urllib, retries with backoff on network errors, 429 and
5xx), refused when it is not ``image/*`` or larger than the size limit, and stored under the
first 16 hex digits of its SHA-256 (so the same picture is kept once and re-runs give the
same names). A failed image keeps its original link.
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from loaders import BLOGPORT_VERSION as __version__
from loaders.atomic import write_if_changed

log = logging.getLogger(__name__)

_IMG_SRC = re.compile(r"""(<img\b[^>]*?\bsrc\s*=\s*)(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL)
_EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp",
               "image/svg+xml": ".svg", "image/bmp": ".bmp", "image/x-icon": ".ico", "image/avif": ".avif"}


@dataclass(frozen=True)
class ImageResult:
    url: str
    local_name: str | None
    sha256: str | None = None
    size: int = 0
    content_type: str | None = None
    error: str | None = None


@dataclass
class ImageFetcher:
    dest_dir: Path
    url_prefix: str
    """Public URL folder of ``dest_dir``, e.g. "/images" (Hugo static) or "/assets/images"."""
    max_bytes: int = 20 * 1024 * 1024
    retries: int = 3
    backoff_s: float = 0.5
    timeout_s: float = 20.0
    results: dict[str, ImageResult] = field(default_factory=dict)

    def localize(self, html: str) -> str:
        """``html`` with every downloadable ``img src`` pointing at its local copy."""

        def replace(match: re.Match[str]) -> str:
            src = match.group(3)
            if not src.lower().startswith(("http://", "https://", "//")):
                return match.group(0)
            url = "https:" + src if src.startswith("//") else src
            url = url.replace("&amp;", "&")
            result = self.fetch(url)
            if result.local_name is None:
                return match.group(0)
            return f"{match.group(1)}{match.group(2)}{self.url_prefix}/{result.local_name}{match.group(2)}"

        return _IMG_SRC.sub(replace, html)

    def fetch(self, url: str) -> ImageResult:
        if url in self.results:
            return self.results[url]
        result = self._download(url)
        if result.error:
            log.warning("image not downloaded, link kept: %s (%s)", url, result.error)
        self.results[url] = result
        return result

    def _download(self, url: str) -> ImageResult:
        last_error = "not tried"
        for attempt in range(self.retries):
            if attempt:
                time.sleep(self.backoff_s * (2 ** (attempt - 1)))
            request = urllib.request.Request(url, headers={"User-Agent": f"blogport/{__version__}"})
            try:
                with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                    content_type = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
                    if not content_type.startswith("image/"):
                        return ImageResult(url, None, content_type=content_type,
                                           error=f"not an image (Content-Type {content_type or 'missing'})")
                    declared = response.headers.get("Content-Length")
                    if declared and declared.isdigit() and int(declared) > self.max_bytes:
                        return ImageResult(url, None, content_type=content_type,
                                           error=f"larger than {self.max_bytes} bytes ({declared})")
                    data = response.read(self.max_bytes + 1)
                    if len(data) > self.max_bytes:
                        return ImageResult(url, None, content_type=content_type,
                                           error=f"larger than {self.max_bytes} bytes")
            except urllib.error.HTTPError as exc:
                last_error = f"HTTP {exc.code}"
                if exc.code == 429 or exc.code >= 500:
                    continue
                return ImageResult(url, None, error=last_error)
            except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
                last_error = f"network: {getattr(exc, 'reason', exc)}"
                continue
            digest = hashlib.sha256(data).hexdigest()
            suffix = _EXTENSIONS.get(content_type) or _suffix_from_url(url) or mimetypes.guess_extension(content_type) or ".img"
            name = f"{digest[:16]}{suffix}"
            write_if_changed(self.dest_dir / name, data)
            return ImageResult(url, name, sha256=digest, size=len(data), content_type=content_type)
        return ImageResult(url, None, error=f"{last_error} after {self.retries} attempts")

    @property
    def downloaded(self) -> int:
        return sum(1 for r in self.results.values() if r.local_name)

    @property
    def failed(self) -> int:
        return sum(1 for r in self.results.values() if r.error)


def _suffix_from_url(url: str) -> str:
    suffix = PurePosixPath(urlsplit(url).path).suffix.lower()
    return suffix if re.fullmatch(r"\.[a-z0-9]{2,5}", suffix) else ""
