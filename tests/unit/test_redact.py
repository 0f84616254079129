"""Scrubbing free text before it is shared (保密原则): what an analyst may read in a redacted export.

Hypothesis embeds mobiles, identity card numbers and e-mail addresses, written the ways people
write them, in arbitrary text: none survives. What carries no one's identity (dates, house
numbers, amounts, ordinary words) is left as it was, so the text stays worth reading.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from desk.redact import SEPARATOR, Complainant, Pseudonyms, scrub

pytestmark = pytest.mark.unit
OWN = Complainant(name="欧阳保密测试", phone="13911112222", email="ouyang.secret@example.cn", address="保密路99号")

mobiles = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
id_cards = st.from_regex(r"[1-6][0-9]{16}[0-9X]", fullmatch=True)
emails = st.from_regex(r"[a-z][a-z0-9._-]{0,12}@[a-z0-9]{1,10}\.(cn|com|net|org)", fullmatch=True)
text = st.text(max_size=40)


def _written(digits: str, style: int) -> str:
    """The ways a mobile is written: as is, grouped 3-4-4 by space, hyphen or spaced hyphen, +86."""
    groups = (digits[:3], digits[3:7], digits[7:])
    return [digits, " ".join(groups), "-".join(groups), " - ".join(groups), f"+86 {digits}", f"+86-{digits}"][style]


def _anywhere(digits: str) -> re.Pattern[str]:
    """The digits as the scrubber reads a number: with separators anywhere between them."""
    return re.compile(SEPARATOR.join(digits))


@given(mobile=mobiles, style=st.integers(0, 5), before=text, after=text)
def test_no_mobile_survives_wherever_it_is_written(mobile: str, style: int, before: str, after: str) -> None:
    assume(not _anywhere(mobile).search(before) and not _anywhere(mobile).search(after))
    scrubbed = scrub(before + _written(mobile, style) + after)
    assert _written(mobile, style) not in scrubbed and not _anywhere(mobile).search(scrubbed)


@given(number=id_cards, before=text, after=text)
def test_no_identity_card_number_survives(number: str, before: str, after: str) -> None:
    assume(number[:17] not in before + after)
    scrubbed = scrub(f"{before}身份证{number}{after}")
    assert number[:17] not in scrubbed


@given(address=emails, before=text, after=text)
def test_no_email_address_survives(address: str, before: str, after: str) -> None:
    assume("@" not in before + after)
    scrubbed = scrub(f"{before} {address} {after}")
    assert address not in scrubbed and "@" not in scrubbed


@given(before=text, after=text, which=st.sampled_from(["name", "email", "address"]))
def test_the_complainants_own_details_become_placeholders(before: str, after: str, which: str) -> None:
    value = getattr(OWN, which)
    assume(value not in before and value not in after)
    scrubbed = scrub(f"{before} {value} {after}", OWN)
    assert value not in scrubbed and f"[{which}]" in scrubbed


@given(words=st.text(alphabet=st.characters(categories=["L", "Zs", "P"], exclude_characters="@[]"), max_size=60))
def test_words_without_numbers_or_addresses_are_left_alone(words: str) -> None:
    assume(not any(value in words for value in (OWN.name, OWN.address)))
    assert scrub(words, OWN) == words


@given(before=text, after=text)
def test_scrubbing_twice_changes_nothing_more(before: str, after: str) -> None:
    once = scrub(f"{before} 电话 13911112222 {after}", OWN)
    assert scrub(once, OWN) == once


def test_dates_house_numbers_and_amounts_stay_readable() -> None:
    note = "2026-11-23 10:30 到3号楼12层, 赔偿 500 元, 政策 2026.11-1, 截止 2026-12-01T18:00:00+08:00"
    assert scrub(note, OWN) == note


def test_a_handling_note_keeps_its_sense_without_the_complainant() -> None:
    note = "欧阳保密测试 (139 1111 2222) 说保密路99号3单元漏水, 物业电话 010-6512 3456, 另见 OUYANG.Secret@example.cn"
    assert scrub(note, OWN) == "[name] ([phone]) 说[address]3单元漏水, 物业电话 [phone], 另见 [email]"


def test_staff_view_hides_only_the_complainant() -> None:
    """`desk show` without --reveal: the complainant hidden, a plumber's number still there to call."""
    note = "欧阳保密测试说水管工 13800001111 没来"
    assert scrub(note, OWN, patterns=False) == "[name]说水管工 13800001111 没来"


def test_one_complainant_one_reference_within_an_export() -> None:
    export = Pseudonyms()
    ref = export.ref(OWN)
    assert ref is not None and len(ref) == 16
    assert export.ref(Complainant(name="别名", phone="+86 139-1111-2222")) == ref  # same phone, written otherwise
    assert export.ref(Complainant(email="Ouyang.Secret@Example.cn ")) == export.ref(Complainant(email=OWN.email))
    assert export.ref(Complainant(phone="13800001111")) != ref
    assert export.ref(Complainant(name="只留了地址", address="保密路99号")) is None
    assert Pseudonyms().ref(OWN) != ref  # another export, another key: references cannot be linked
