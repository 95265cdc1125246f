"""The real-data gate: every real Blogger file through blogport, scored, against pinned scores.

``python -m tests.realdata.gate`` prints the score table; ``--pin`` raises the pins in
``pins.json`` to today's totals (a pin never goes down). ``pytest -s tests/realdata`` prints
the same table.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
from pathlib import Path

from tests.conftest import REALDATA
from tests.realdata.catalogue import RealFile, sources
from tests.realdata.pipeline import run_file
from tests.realdata.scoring import METRICS, FileScore, Score, judge, table, totals

PINS = Path(__file__).resolve().parent / "pins.json"


def score_file(real: RealFile, work: Path) -> FileScore:
    work.mkdir(parents=True, exist_ok=True)
    return judge(real.rel, real.facts, run_file(real.path, real.facts.get("url"), work))


def score_all(work: Path) -> list[FileScore]:
    return [score_file(real, work / f"{n:03d}") for n, real in enumerate(sources())]


def read_pins() -> dict[str, int]:
    return json.loads(PINS.read_text(encoding="utf-8")) if PINS.is_file() else {}


def below_pins(total: dict[str, Score], pins: dict[str, int]) -> list[str]:
    """One line per metric whose points dropped below its pin."""
    return [
        f"{metric}: {total[metric].points} < pinned {pins[metric]}"
        for metric in METRICS
        if metric in pins and total[metric].points < pins[metric]
    ]


def raised_pins(total: dict[str, Score], pins: dict[str, int]) -> dict[str, int]:
    """The pins raised to today's points where those are higher; never lowered."""
    return {metric: max(pins.get(metric, 0), total[metric].points) for metric in METRICS}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.realdata.gate", description=__doc__)
    parser.add_argument("--pin", action="store_true", help="raise pins.json to today's totals")
    parser.add_argument("--brief", action="store_true", help="the table without the list of misses")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    if not REALDATA.is_dir():
        sys.stderr.write(f"gate: error: no real data at {REALDATA}\n")
        return 2
    with tempfile.TemporaryDirectory(prefix="blogport-gate-") as tmp:
        files = score_all(Path(tmp))
    sys.stdout.write(table(files, details=not args.brief) + "\n")
    total, pins = totals(files), read_pins()
    for line in below_pins(total, pins):
        sys.stdout.write(f"BELOW PIN {line}\n")
    if args.pin:
        new = raised_pins(total, pins)
        PINS.write_text(json.dumps(new, indent=2) + "\n", encoding="utf-8")
        sys.stdout.write(f"pins: {json.dumps(new)}\n")
    return 1 if below_pins(total, pins) else 0


if __name__ == "__main__":
    raise SystemExit(main())
