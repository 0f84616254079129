"""What a new complaint must carry, checked before anything is written.

One row from the CLI's flags or from an import file (JSON list or CSV with a header):
family, channel, optional idempotency key and received_at, and the complainant's details.
Every problem of every row is reported, with its row number and field, in one go.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from desk.errors import BadInput
from states import Family

# DOMAIN.md: who uses the system; `hotline` is a 12345 platform's transfer, `platform` a shop's.
INTAKE_CHANNELS = ("phone", "counter", "app", "web", "email", "hotline", "platform")
COMPLAINANT_FIELDS = ("name", "phone", "email", "address", "description", "request")
# The rest of the registration form (《顾客投诉登记表》: when, where, people involved) and, for a
# shop's complaint, its trade facts. Kept with the complainant: an order number points at a person.
DETAIL_TEXT = ("location", "people_involved", "order_no", "shop")
DETAIL_TIMES = ("occurred_at", "trade_success_at")
REFERENCE_FIELDS = ("source", "external_id")
ROW_FIELDS = ("family", "channel", "key", "received_at", *COMPLAINANT_FIELDS, *DETAIL_TEXT, *DETAIL_TIMES,
              "external_id")
LIMITS = {"name": 200, "phone": 40, "email": 200, "address": 500, "description": 10_000, "request": 5_000,
          "key": 128, "location": 500, "people_involved": 1_000, "order_no": 64, "shop": 200, "external_id": 128,
          "source": 64}


@dataclass(frozen=True)
class Intake:
    family: str
    channel: str
    key: str | None
    received_at: datetime
    complainant: dict[str, Any]
    details: dict[str, Any] = field(default_factory=dict)
    external_id: str | None = None
    # What was sent, as a digest: a repeat with the same key must be the same complaint.
    digest: str | None = None

    @classmethod
    def check(cls, *, family: str, complainant: dict[str, Any], channel: str, key: str | None,
              received_at: datetime | None, now: datetime, details: dict[str, Any] | None = None,
              external_id: str | None = None) -> Intake:
        row = {"family": family, "channel": channel, "key": key, "received_at": received_at, **complainant,
               **(details or {}), "external_id": external_id}
        problems: list[str] = []
        intake = _intake({k: v for k, v in row.items() if v is not None}, now, problems)
        if intake is None:
            raise BadInput("; ".join(problems))
        return intake


def read_rows(path: Path, now: datetime) -> list[Intake]:
    """Reads and checks an import file; raises BadInput listing every bad row (nothing is filed)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise BadInput(f"{path}: no such file") from None
    except UnicodeDecodeError as exc:
        raise BadInput(f"{path}: not UTF-8 text (byte {exc.start})") from None
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in ("json", "csv"):
        raise BadInput(f"{path}: use a .json or .csv file")
    return parse_rows(text, suffix, str(path), now)


def parse_rows(text: str, kind: str, where: str, now: datetime) -> list[Intake]:
    """Checks every row of a JSON list or a CSV text (`kind`); raises BadInput naming each bad
    row as `<where>: row N: field: problem`, so nothing is filed from a rejected batch."""
    raw = _parse(where, kind, text)
    problems: list[str] = []
    rows: list[Intake] = []
    seen_keys: dict[str, int] = {}
    seen_refs: dict[str, int] = {}
    for number, row in raw:
        row_problems: list[str] = []
        intake = _intake(row, now, row_problems) if isinstance(row, dict) else None
        if not isinstance(row, dict):
            row_problems.append("a row must be an object of fields")
        elif intake is not None:
            for name, value, seen in (("key", intake.key, seen_keys), ("external_id", intake.external_id, seen_refs)):
                if value is not None and value in seen:
                    row_problems.append(f"{name}: '{value}' repeats row {seen[value]}")
                elif value is not None:
                    seen[value] = number
        problems += [f"{where}: row {number}: {p}" for p in row_problems]
        if intake is not None and not row_problems:
            rows.append(intake)
    if problems:
        raise BadInput(f"{len(problems)} problem(s), nothing filed:\n" + "\n".join(problems))
    if not rows:
        raise BadInput(f"{where}: no rows to file")
    return rows


def _parse(where: str, kind: str, text: str) -> list[tuple[int, Any]]:
    """(row number as a person counts it, row) pairs: CSV data rows start at 2, after the header."""
    if kind == "json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BadInput(f"{where}:{exc.lineno}: not valid JSON ({exc.msg})") from None
        except RecursionError:
            raise BadInput(f"{where}: JSON nested too deep") from None
        if not isinstance(data, list):
            raise BadInput(f"{where}: expected a JSON list of complaints")
        return list(enumerate(data, start=1))
    try:
        reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))
        unknown = [f for f in reader.fieldnames or [] if f not in ROW_FIELDS]
        if unknown:
            raise BadInput(f"{where}: row 1: unknown column(s) {', '.join(unknown)} (known: {', '.join(ROW_FIELDS)})")
        return [(n, {k: v for k, v in row.items() if k is not None and v not in ("", None)})
                for n, row in enumerate(reader, start=2)]
    except csv.Error as exc:
        raise BadInput(f"{where}: not a CSV text ({exc})") from None


def _intake(row: dict[str, Any], now: datetime, problems: list[str]) -> Intake | None:
    unknown = sorted(set(row) - set(ROW_FIELDS))
    if unknown:
        problems.append(f"unknown field(s) {', '.join(unknown)}")
    values: dict[str, str | None] = {}
    for name in ("family", "channel", "key", *COMPLAINANT_FIELDS, *DETAIL_TEXT, "external_id"):
        value = row.get(name)
        if value is None:
            values[name] = None
            continue
        text = str(value).strip()
        if any(ord(ch) < 32 and ch not in "\n\t" for ch in text):
            problems.append(f"{name}: contains control characters")
        if len(text) > LIMITS.get(name, 64):
            problems.append(f"{name}: longer than {LIMITS.get(name, 64)} characters")
        values[name] = text or None
    family = values["family"]
    if family not in {f.value for f in Family}:
        problems.append(f"family: '{family}' is not a family (property, enterprise)" if family else "family: required")
    channel = values["channel"] or "phone"
    if channel not in INTAKE_CHANNELS:
        problems.append(f"channel: '{channel}' is not one of {', '.join(INTAKE_CHANNELS)}")
    for required in ("name", "description"):
        if not values[required]:
            problems.append(f"{required}: required")
    if not (values["phone"] or values["email"] or values["address"]):
        problems.append("give at least one way to reach the complainant (phone, email or address)")
    received = _moment(row.get("received_at"), now, problems)
    times = {name: _moment(row[name], now, problems, name).isoformat() for name in DETAIL_TIMES if row.get(name)}
    if problems:
        return None
    details = {**{k: values[k] for k in DETAIL_TEXT if values[k]}, **times}
    return Intake(family=str(family), channel=channel, key=values["key"], received_at=received,
                  complainant={k: values[k] for k in COMPLAINANT_FIELDS}, details=details,
                  external_id=values["external_id"], digest=_digest(row))


def _digest(row: dict[str, Any]) -> str:
    """The row as sent (not as defaulted: a retry a second later must match), canonical JSON."""
    sent = {k: v.isoformat() if isinstance(v, datetime) else str(v).strip() for k, v in row.items()
            if v not in (None, "") and k != "key"}
    return hashlib.sha256(json.dumps(sent, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def _moment(value: Any, now: datetime, problems: list[str], name: str = "received_at") -> datetime:
    if value is None or value == "":
        return now
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            problems.append(f"{name}: '{value}' is not an ISO 8601 time such as 2026-11-23T09:00+08:00")
            return now
    if moment.utcoffset() is None:
        problems.append(f"{name}: '{value}' needs a UTC offset such as +08:00")
        return now
    if moment > now:
        problems.append(f"{name}: '{value}' is in the future")
    return moment
