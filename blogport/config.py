"""A migration's configuration: the source and every stage's options, saved in the archive.

``blogport sync DIR`` repeats the migration stored in DIR, so the first run saves its
configuration in ``DIR/blog.db`` (table ``meta``, key ``config``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from kernel.archive import Archive
from crawler.options import CrawlOptions
from loaders.options import ExportOptions
from transform.options import TransformOptions


@dataclass(frozen=True)
class MigrationConfig:
    source: str
    crawl: CrawlOptions = field(default_factory=CrawlOptions)
    transform: TransformOptions = field(default_factory=TransformOptions)
    export: ExportOptions = field(default_factory=ExportOptions)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "MigrationConfig":
        def build(kind: type, values: dict[str, Any]) -> Any:
            known = {f.name for f in dataclasses.fields(kind)}
            kwargs = {k: (tuple(v) if isinstance(v, list) else v) for k, v in values.items() if k in known}
            return kind(**kwargs)

        return cls(
            source=data["source"],
            crawl=build(CrawlOptions, data.get("crawl", {})),
            transform=build(TransformOptions, data.get("transform", {})),
            export=build(ExportOptions, data.get("export", {})),
        )


def save_config(archive: Archive, config: MigrationConfig) -> None:
    archive.set_meta("config", config.to_dict())


def load_config(archive: Archive) -> MigrationConfig | None:
    data = archive.get_meta("config")
    return MigrationConfig.from_dict(data) if data else None
