"""Helpers for tests: a fixed clock in Shanghai time (tests never read the real one)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    """`at("2026-09-30 15:00")`: a Shanghai wall-clock moment."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)
