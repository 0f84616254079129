"""Hostile import files: every bad row is reported by its number and what is wrong with it,
good rows are not blamed, and a file with any bad row files nothing (read_rows refuses the
whole file before the desk writes a single row).

Hypothesis builds files of good rows and rows broken one way each: a required field missing,
a date that is not a date or lies in the future, an unknown family or channel, oversize text,
control characters, a repeated idempotency key; as JSON and as CSV.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tempfile
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desk.errors import BadInput
from desk.intake import ROW_FIELDS, read_rows

pytestmark = pytest.mark.unit
NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
GOOD = {"family": "property", "channel": "phone", "received_at": "2026-11-23T08:30+08:00", "name": "王建国",
        "phone": "13812345678", "description": "楼道三周没人打扫", "request": "每天打扫"}
BREAKS = {
    "no name": lambda row: row.pop("name"),
    "no description": lambda row: row.pop("description"),
    "no way to reach them": lambda row: row.pop("phone"),
    "not a date": lambda row: row.update(received_at="next Tuesday"),
    "no UTC offset": lambda row: row.update(received_at="2026-11-23T08:30"),
    "in the future": lambda row: row.update(received_at="2027-01-01T08:00+08:00"),
    "unknown family": lambda row: row.update(family="hospital"),
    "unknown channel": lambda row: row.update(channel="pigeon"),
    "oversize": lambda row: row.update(description="长" * 10_001),
    "control characters": lambda row: row.update(name="王\x00建国"),
    "repeated key": lambda row: row.update(key="K-1"),
}


def _rows(plan: list[str | None]) -> list[dict[str, Any]]:
    rows = []
    for i, broken in enumerate(plan):
        row = {**GOOD, "key": f"row-{i}"}
        if broken:
            BREAKS[broken](row)
        rows.append(row)
    return rows


def _write(tmp_path: Path, rows: list[dict[str, Any]], kind: str) -> Path:
    path = tmp_path / f"import.{kind}"
    if kind == "json":
        path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    else:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=ROW_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
        path.write_text(out.getvalue(), encoding="utf-8")
    return path


TALLY: Counter[str] = Counter()


@pytest.fixture(scope="module", autouse=True)
def _report() -> Iterator[None]:
    yield  # tracebacks are counted as they happen: each also fails its example
    print(f"\nhostile imports: {TALLY['files']} files of {TALLY['rows']} rows tried, {TALLY['refused']} refused "
          f"naming {TALLY['bad rows']} bad rows by number, {TALLY['accepted']} clean files accepted, "
          f"{TALLY['tracebacks']} tracebacks")


def _read(path: Path) -> list[Any]:
    """read_rows as `desk file --from` calls it, counting anything but a BadInput as a traceback."""
    try:
        return read_rows(path, NOW)
    except BadInput:
        raise
    except Exception:
        TALLY["tracebacks"] += 1
        raise


@settings(max_examples=120, deadline=None)
@given(plan=st.lists(st.one_of(st.none(), st.sampled_from(sorted(BREAKS))), min_size=1, max_size=12),
       kind=st.sampled_from(["json", "csv"]))
def test_bad_rows_are_named_by_number_and_a_file_with_any_files_nothing(plan: list[str | None], kind: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = _write(Path(folder), _rows(plan), kind)
        first = 2 if kind == "csv" else 1  # row numbers as a person counts them (CSV: after the header)
        keyed = [i for i, broken in enumerate(plan) if broken == "repeated key"]
        # The first row to use a repeated key is fine; the ones after it repeat it.
        bad = {i + first for i, broken in enumerate(plan) if broken and broken != "repeated key"}
        bad |= {i + first for i in keyed[1:]}
        TALLY.update(files=1, rows=len(plan))
        if not bad:
            assert len(_read(path)) == len(plan)
            TALLY["accepted"] += 1
            return
        with pytest.raises(BadInput) as refused:
            _read(path)
        message = str(refused.value)
        assert "nothing filed" in message
        named = {int(n) for n in re.findall(r": row (\d+): ", message)}
        assert named == bad
        TALLY.update({"refused": 1, "bad rows": len(bad)})
