"""Taking the complainant out of what leaves the desk (保密原则): scrubbing free text and
pseudonymous references.

Staff type findings, notes and reasons in their own words, and those words often name the
complainant or quote a phone number. `scrub` replaces the complainant's own name, phone,
e-mail and address with placeholders (`[name]`, `[phone]`, ...), then anything that looks like
an e-mail address, an 18-character identity card number (身份证) or a phone number of anyone.
`Pseudonyms` gives each complainant a reference that is stable within one export and
meaningless outside it.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

NAME, PHONE, EMAIL, ADDRESS, ID_CARD, NUMBER = "[name]", "[phone]", "[email]", "[address]", "[id]", "[number]"

EMAIL_LIKE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
ID_CARD_LIKE = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
# What may stand between the digits of one number as people write it: 139 1111 2222,
# 139-1111-2222, (010) 6512 3456, full-width spaces. Up to three in a row, so that
# "139 - 1111 - 2222" is still one number.
SEPARATOR = r"[ \t\-\u00a0\u3000()（）]{0,3}"
# A calendar date is the one digit run free text needs to keep (`2026-11-23`); it is tried
# first at each position and never takes digits from a longer run (the look-arounds).
DATE = r"(?<!\d)(?:19|20)\d\d-(?:0?[1-9]|1[0-2])-(?:0?[1-9]|[12]\d|3[01])(?!\d)"
DIGIT_RUN = re.compile(rf"(?P<date>{DATE})|(?P<run>(?<!\d)\+?\d(?:{SEPARATOR}\d)*)")
MOBILE = re.compile(r"(?:0086|86)?1[3-9]\d{9}")
SHORTEST_NUMBER = 7  # a local landline (6512 3456 has 8); shorter runs are house numbers, counts, amounts


@dataclass(frozen=True)
class Complainant:
    """The complainant's own details, as filed: what must not be recognisable in shared text."""

    name: str | None = None
    phone: str | None = None
    email: str | None = None
    address: str | None = None

    @classmethod
    def of(cls, person: dict[str, Any]) -> Complainant:
        return cls(*(person.get(key) for key in ("name", "phone", "email", "address")))


def scrub(text: str, own: Complainant | None = None, *, patterns: bool = True) -> str:
    """`text` with the complainant's own details replaced, then (unless `patterns` is off, for
    staff who may see third parties' numbers) every e-mail-, ID-card- and phone-like pattern."""
    for pattern, placeholder in _own_patterns(own):
        text = pattern.sub(placeholder, text)
    phone = re.sub(r"\D", "", (own.phone if own else None) or "")
    if len(phone) >= 5:  # fewer digits would hide house numbers and counts, not a person
        text = DIGIT_RUN.sub(lambda run: _own_phone(run, phone), text)
    if not patterns:
        return text
    text = EMAIL_LIKE.sub(EMAIL, text)
    text = ID_CARD_LIKE.sub(ID_CARD, text)
    return DIGIT_RUN.sub(_number, text)


def scrub_values(value: Any, clean: Callable[[str], str]) -> Any:
    """Every string inside a JSON-like value (event arguments, records) passed through `clean`."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {key: scrub_values(item, clean) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_values(item, clean) for item in value]
    return value


@functools.lru_cache(maxsize=64)  # an export scrubs several texts of each complainant in a row
def _own_patterns(own: Complainant | None) -> tuple[tuple[re.Pattern[str], str], ...]:
    if own is None:
        return ()
    found: list[tuple[re.Pattern[str], str]] = []
    # The address first: the longest, it may hold the others (a street named like the person).
    for value, placeholder in ((own.address, ADDRESS), (own.name, NAME), (own.email, EMAIL)):
        words = (value or "").split()
        if len("".join(words)) >= 2:  # one character would blank out every word it occurs in
            found.append((re.compile(r"\s*".join(re.escape(w) for w in words), re.IGNORECASE), placeholder))
    return tuple(found)


def _own_phone(match: re.Match[str], phone: str) -> str:
    """A digit run holding the complainant's number however it is grouped (+86 139-1111-2222) goes."""
    if match.group("date") or phone not in re.sub(r"\D", "", match.group(0)):
        return match.group(0)
    return PHONE


def _number(match: re.Match[str]) -> str:
    """A digit run: a date stays; one long enough to call or to identify someone goes."""
    if match.group("date"):
        return match.group(0)
    run = match.group(0)
    digits = re.sub(r"\D", "", run)
    if len(digits) < SHORTEST_NUMBER:
        return run
    if MOBILE.fullmatch(digits) or len(digits) <= 8 or (digits.startswith("0") and len(digits) <= 12):
        return PHONE  # a mobile; a local landline; a landline with its area code
    return NUMBER


class Pseudonyms:
    """`complainant_ref`: a keyed hash (HMAC-SHA256) of the normalised phone, else e-mail.

    The key is random and lives only as long as this object (one export), so analysts can
    count repeat complainants within an export but cannot link two exports or recover a
    number by hashing all eleven-digit mobiles, which an unkeyed hash would allow."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key or secrets.token_bytes(32)

    def ref(self, own: Complainant) -> str | None:
        contact = _normal_phone(own.phone) or _normal_email(own.email)
        if contact is None:
            return None
        return hmac.new(self._key, contact.encode("utf-8"), hashlib.sha256).hexdigest()[:16]


def _normal_phone(phone: str | None) -> str | None:
    """`+86 139-1111-2222` and `13911112222` are the same person."""
    digits = re.sub(r"\D", "", phone or "")
    if MOBILE.fullmatch(digits):
        digits = digits[-11:]
    return f"phone:{digits}" if digits else None


def _normal_email(email: str | None) -> str | None:
    text = (email or "").strip().lower()
    return f"email:{text}" if text else None
