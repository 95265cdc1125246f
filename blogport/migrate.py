"""Run orchestration: ``migrate`` = crawl, transform, export, validate, in one go."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from blogport.config import MigrationConfig, save_config
from blogport.lock import hold_lock
from blogport.runs import finish_run, start_run
from kernel.archive import Archive


@dataclass
class MigrateResult:
    out_dir: Path
    stages: dict[str, Any] = field(default_factory=dict)
    exit_code: int = 0

    def summary_lines(self) -> list[str]:
        lines: list[str] = []
        for name, summary in self.stages.items():
            lines.append(f"[{name}]")
            lines.extend(f"  {line}" for line in summary.summary_lines())
        lines.append(f"Everything is in {self.out_dir.resolve()}/")
        return lines

    def as_dict(self) -> dict[str, Any]:
        return {"out_dir": str(self.out_dir), "exit_code": self.exit_code,
                "stages": {k: v.as_dict() for k, v in self.stages.items()}}


def migrate(config: MigrationConfig, out_dir: Path, *, validate: bool = True) -> MigrateResult:
    from crawler.run import crawl
    from loaders.run import export
    from transform.run import transform

    out_dir.mkdir(parents=True, exist_ok=True)
    with hold_lock(out_dir):
        with Archive.in_dir(out_dir) as archive:
            save_config(archive, config)
            run_id = start_run(archive, "migrate", config.source)
        result = MigrateResult(out_dir)
        try:
            result.stages["crawl"] = crawl(config.source, out_dir, config.crawl)
            result.stages["transform"] = transform(out_dir, config.transform)
            result.stages["export"] = export(out_dir, config.export)
            codes = [result.stages["crawl"].exit_code, result.stages["transform"].exit_code]
            if validate:
                from blogport.validate import ValidateOptions, validate as run_validate

                report = run_validate(out_dir, ValidateOptions())
                result.stages["validate"] = report
                codes.append(report.exit_code)
            result.exit_code = max(codes)
        except Exception:
            with Archive.in_dir(out_dir) as archive:
                finish_run(archive, run_id, exit_status=2)
            raise
        crawled = result.stages["crawl"].as_dict()
        with Archive.in_dir(out_dir) as archive:
            finish_run(
                archive,
                run_id,
                exit_status=result.exit_code,
                new=int(crawled.get("posts_found", 0)) + int(crawled.get("comments_found", 0)),
                failed=int(crawled.get("errors", 0)),
                details=result.as_dict(),
            )
    return result
