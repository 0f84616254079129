"""Scrubbing free text before it is shared (保密原则): what an analyst may read in a redacted export.

Hypothesis embeds mobiles, identity card numbers and e-mail addresses, written the ways people
write them, in arbitrary text: none survives, nor the complainant's phone read out in Chinese
numerals, nor their surname with a form of address (王先生, 小王, Mrs Smith). What carries no one's
identity (dates, house numbers, amounts, ordinary words, 三楼, 十二月, another 李师傅) is left as it
was, so the text stays worth reading.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from desk.redact import HONORIFICS, READ_OUT, SEPARATOR, Complainant, Pseudonyms, scrub

pytestmark = pytest.mark.unit
OWN = Complainant(name="欧阳保密测试", phone="13911112222", email="ouyang.secret@example.cn", address="保密路99号")
WANG = Complainant(name="王建国", phone="13812345678")

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


# Chinese numerals are letters to Unicode: their runs are numbers, tried in the read-out tests below.
@given(words=st.text(alphabet=st.characters(categories=["L", "Zs", "P"], exclude_characters="@[]" + READ_OUT),
                     max_size=60))
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


@pytest.mark.parametrize(("note", "shared"), [
    ("王先生说楼道没人打扫", "[name]说楼道没人打扫"),
    ("回访王阿姨, 小王和老王都在王府井上班", "回访[name], [name]和[name]都在王府井上班"),
    ("王叔叔说王总经理不管", "[name]说[name]不管"),
    ("李师傅已上门, 王大爷不在家", "李师傅已上门, [name]不在家"),  # 李师傅 is the plumber
])
def test_the_complainant_called_by_surname_is_hidden(note: str, shared: str) -> None:
    assert scrub(note, WANG, patterns=False) == shared


@pytest.mark.parametrize("honorific", HONORIFICS.split("|"))
def test_every_form_of_address_hides_the_complainant_and_no_one_else(honorific: str) -> None:
    assert scrub(f"王{honorific}已上门", WANG) == "[name]已上门"
    for other in "李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗":
        assert scrub(f"{other}{honorific}已上门", WANG) == f"{other}{honorific}已上门"


def test_a_compound_surname_is_one_surname() -> None:
    assert scrub("欧阳女士说欧师傅没来, 小欧阳去催", Complainant(name="欧阳明华")) == "[name]说欧师傅没来, [name]去催"
    assert scrub("欧先生不是欧阳先生", Complainant(name="欧明")) == "[name]不是欧阳先生"
    assert scrub("司马先生和马先生", Complainant(name="马力")) == "司马先生和[name]"


def test_ordinary_words_that_hold_a_surname_stay() -> None:
    assert scrub("小区阿姨说区先生来过", Complainant(name="区明")) == "小区阿姨说[name]来过"
    assert scrub("语文老师和老师傅都说文老师来过", Complainant(name="文华")) == "语文老师和老师傅都说[name]来过"


def test_a_latin_name_with_a_title_is_hidden() -> None:
    note = "Mr Smith called; mrs. smith wrote; MR JOHN SMITH again; Mr Smithers is the plumber"
    shared = "[name] called; [name] wrote; [name] again; Mr Smithers is the plumber"
    assert scrub(note, Complainant(name="John Smith")) == shared


@pytest.mark.parametrize("written", [
    "一三八一二三四五六七八", "幺三八-一二三四-五六七八", "138一二三四5678",
    "１３８ １２３４ ５６７８", "１３８－１２３４－５６７８", "一三八 1234 5678",
])
def test_the_complainants_phone_read_out_is_hidden_from_staff_too(written: str) -> None:
    assert scrub(f"请回电{written}, 三楼", WANG, patterns=False) == "请回电[phone], 三楼"


def test_a_strangers_number_in_chinese_numerals_is_a_number() -> None:
    note = "水管工电话一三九〇〇〇〇幺幺幺幺, 物业 〇一〇 六五一二 三四五六"
    assert scrub(note, WANG) == "水管工电话[phone], 物业 [phone]"
    assert scrub(note, WANG, patterns=False) == note  # staff still see whom to call


def test_chinese_numerals_that_are_not_numbers_stay() -> None:
    note = "三楼一二号, 十二月三日第一次上门, 两百元, 一二楼, 星期三 2026-11-23, 周一2026-11-30, ２０２６-１１-２３"
    assert scrub(note, WANG) == note


READ_OUT_DIGITS = dict(zip("0123456789", ["〇零", "一幺", "二", "三", "四", "五", "六", "七", "八", "九"], strict=True))


@given(styles=st.lists(st.integers(0, 3), min_size=11, max_size=11), before=text, after=text)
def test_the_complainants_phone_survives_however_its_digits_are_typed(styles: list[int], before: str,
                                                                       after: str) -> None:
    """Each digit as is, full-width or read out (一 or 幺 for 1): staff without --reveal see none of it."""
    forms = [[digit, chr(ord(digit) + 0xFEE0), *READ_OUT_DIGITS[digit]] for digit in WANG.phone or ""]
    written = "".join(form[style % len(form)] for form, style in zip(forms, styles, strict=True))
    assume(written not in before + after)
    assert written not in scrub(before + written + after, WANG, patterns=False)


# Chinese words with no form of address and no separator, the complainant's surname among them.
words = st.text(alphabet="王府井区十百千万两楼号层单元室月日第次年的了在有是说修，。", min_size=1, max_size=6)
short_numbers = st.text(alphabet=READ_OUT + "０１２３４５６７８９0123456789", max_size=6)


@given(parts=st.lists(st.tuples(short_numbers, words), max_size=8))
def test_chinese_text_with_numbers_shorter_than_a_phones_is_left_alone(parts: list[tuple[str, str]]) -> None:
    note = "".join(number + word for number, word in parts)
    assert scrub(note, WANG) == note
