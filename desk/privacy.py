"""Masking personal data wherever it is shown in lists (保密原则, seed 001)."""

from __future__ import annotations


def mask_phone(phone: str | None) -> str:
    """`13812345678` → `138****5678`: the first three and last four digits stay, enough to tell
    two callers apart on the phone; shorter numbers keep only their last two."""
    if not phone:
        return ""
    text = phone.strip()
    if len(text) >= 8:
        return text[:3] + "*" * (len(text) - 7) + text[-4:]
    return "*" * max(0, len(text) - 2) + text[-2:]


def mask_name(name: str | None) -> str:
    """`王建国` → `王**`; `Li Na` → `L****`."""
    if not name:
        return ""
    return name[0] + "*" * (len(name) - 1)
