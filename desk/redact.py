"""Taking the complainant out of what leaves the desk (保密原则): scrubbing free text and
pseudonymous references.

Staff type findings, notes and reasons in their own words, and those words often name the
complainant or quote a phone number. `scrub` replaces the complainant's own name, phone,
e-mail and address with placeholders (`[name]`, `[phone]`, ...), then anything that looks like
an e-mail address, an 18-character identity card number (身份证) or a phone number of anyone.
A name is also taken out where staff use the surname alone with a form of address (王先生,
小王, 欧阳女士, Mrs Smith), and a number however its digits are typed (139, １３９, 一三九, 幺三九).
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
# Digits read out one by one and typed as characters: 一三八, 幺 for 1, 〇 or 零 for 0. Not 十,
# 百, 千 or 两: they make quantities (十二月, 两百元), never a number read digit by digit.
READ_OUT = "〇零一幺二三四五六七八九"
READ_OUT_AS_ASCII = str.maketrans(READ_OUT, "001123456789")
# Full-width forms (typed with a Chinese input method) are the same digits: runs are found in a
# reading of the text with them made ASCII, one character for one, so a span means the same in both.
FULL_WIDTH_AS_ASCII = str.maketrans("０１２３４５６７８９＋－", "0123456789+-")
ARABIC_RUN = rf"\d(?:{SEPARATOR}\d)*"
READ_OUT_RUN = rf"[{READ_OUT}](?:{SEPARATOR}[{READ_OUT}])*"
# Arabic and read-out digits make one number however mixed (138一二三四5678, 幺三八 1234 5678), but
# read-out digits never run into a date: 星期三 2026-11-23 and 周一2026-11-23 keep theirs.
DIGIT_RUN = re.compile(
    rf"(?P<date>{DATE})|(?P<run>(?:(?<!\d)\+?{ARABIC_RUN}|{READ_OUT_RUN})"
    rf"(?:{SEPARATOR}(?!{DATE}){ARABIC_RUN}|{SEPARATOR}{READ_OUT_RUN})*)"
)
MOBILE = re.compile(r"(?:0086|86)?1[3-9]\d{9}")
SHORTEST_NUMBER = 7  # a local landline (6512 3456 has 8); shorter runs are house numbers, counts, amounts

CHINESE_NAME = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]{2,4}")
LATIN_NAME = re.compile(r"[A-Za-z\u00c0-\u024f]+(?:[ '.\-]+[A-Za-z\u00c0-\u024f]+)*")
# Compound surnames (复姓): 欧阳明华 is 欧阳女士, and 欧女士 is someone else.
COMPOUND_SURNAMES = frozenset({
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "令狐", "夏侯",
    "端木", "独孤", "南宫", "西门", "轩辕", "呼延", "申屠", "澹台", "东郭", "闻人", "赫连", "钟离", "宗政", "濮阳",
    "淳于", "单于", "拓跋", "司空", "公冶", "太史",
})
# How staff refer to someone by surname (王先生, 王师傅, 王总), longest first so that 王叔叔 goes whole.
HONORIFICS = "|".join(sorted((
    "先生", "女士", "小姐", "太太", "夫人", "师傅", "老师", "阿姨", "叔叔", "阿叔", "大叔", "大爷", "大妈", "大娘",
    "大姐", "大哥", "姐姐", "哥哥", "奶奶", "爷爷", "婆婆", "阿婆", "伯伯", "大伯", "老伯", "总经理", "总监", "某某",
    "总", "姐", "哥", "叔", "姨", "某",
), key=len, reverse=True))
LATIN_TITLE = r"(?<![A-Za-z])(?:Miss|Mrs|Ms|Mr)(?:\.\s*|\s+)"
# Ordinary words in which a surname meets 小/老 or a form of address (小区 for 区, 老师 for 师, 保安大爷
# for 安, 语文老师 for 文): a match that starts inside one of them names no one.
ORDINARY_WORDS = (
    "小区", "小时", "小于", "小路", "小康", "小商", "小程序", "小高层", "小毛病", "老师", "老家", "老公", "老年",
    "老房", "老楼", "老毛病", "保安", "门卫", "宿管", "社区", "语文", "中文", "英文", "历史", "音乐",
)


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
    phone = _digits((own.phone if own else None) or "")
    if len(phone) >= 5:  # fewer digits would hide house numbers and counts, not a person
        text = _replace_runs(text, lambda run: _own_phone(run, phone))
    if not patterns:
        return text
    text = EMAIL_LIKE.sub(EMAIL, text)
    text = ID_CARD_LIKE.sub(ID_CARD, text)
    return _replace_runs(text, _number)


def scrub_values(value: Any, clean: Callable[[str], str]) -> Any:
    """Every string inside a JSON-like value (event arguments, records) passed through `clean`."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {key: scrub_values(item, clean) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_values(item, clean) for item in value]
    return value


Replacement = str | Callable[[re.Match[str]], str]


@functools.lru_cache(maxsize=64)  # an export scrubs several texts of each complainant in a row
def _own_patterns(own: Complainant | None) -> tuple[tuple[re.Pattern[str], Replacement], ...]:
    if own is None:
        return ()
    found: list[tuple[re.Pattern[str], Replacement]] = []
    # The address first: the longest, it may hold the others (a street named like the person).
    for value, placeholder in ((own.address, ADDRESS), (own.name, NAME), (own.email, EMAIL)):
        words = (value or "").split()
        if len("".join(words)) < 2:  # one character would blank out every word it occurs in
            continue
        written = r"\s*".join(re.escape(w) for w in words)
        if placeholder == NAME:
            # One pattern, the full name tried first: a 王总成 goes whole, not as the surname form 王总 and 成.
            found.append((re.compile("|".join([f"(?P<full>{written})", *_by_surname(words)]), re.IGNORECASE), _name))
        else:
            found.append((re.compile(written, re.IGNORECASE), placeholder))
    return tuple(found)


def _by_surname(words: list[str]) -> list[str]:
    """Patterns for the complainant called by surname: 王先生, 王总, 小王, 老王, Mrs Smith. Never the
    bare surname, which is part of too many words (王府井), nor another surname (李师傅 is the plumber)."""
    name = "".join(words)
    if CHINESE_NAME.fullmatch(name):
        surname = name[:2] if len(name) > 2 and name[:2] in COMPOUND_SURNAMES else name[0]
        # 东方先生 and 司马先生 are of another family than 方 and 马; 小欧阳 is not 小欧.
        before = "".join(f"(?<!{c[0]})" for c in sorted(COMPOUND_SURNAMES) if c[1:] == surname)
        after = "".join(sorted(c[1] for c in COMPOUND_SURNAMES if c[:1] == surname))
        return [f"[小老]{surname}" + (f"(?![{after}])" if after else ""), f"{before}{surname}(?:{HONORIFICS})"]
    surname = words[-1]
    if LATIN_NAME.fullmatch(" ".join(words)) and len(surname) >= 2:
        full = r"\s*".join(re.escape(w) for w in words)
        return [f"{LATIN_TITLE}(?:{full}|{re.escape(surname)})(?![A-Za-z])"]
    return []


def _name(match: re.Match[str]) -> str:
    """The name goes; a surname form too, unless it is part of an ordinary word (小区 for 区先生)."""
    if match.group("full") is None and _in_ordinary_word(match.string, match.start()):
        return match.group(0)
    return NAME


def _in_ordinary_word(text: str, at: int) -> bool:
    """Whether the character at `at` belongs to one of ORDINARY_WORDS as written in `text`."""
    return any(text.startswith(word, start) for word in ORDINARY_WORDS
               for start in range(max(0, at - len(word) + 1), at + 1))


def _replace_runs(text: str, placeholder: Callable[[re.Match[str]], str | None]) -> str:
    """`text` with each digit run for which `placeholder` gives one replaced; the runs are found in
    its full-width-as-ASCII reading, and what is kept is kept as it was written."""
    pieces: list[str] = []
    end = 0
    for run in DIGIT_RUN.finditer(text.translate(FULL_WIDTH_AS_ASCII)):
        replacement = placeholder(run)
        if replacement is not None:
            pieces += (text[end:run.start()], replacement)
            end = run.end()
    return "".join(pieces) + text[end:]


def _digits(written: str) -> str:
    """The digits of a number in ASCII, however typed: +86 139-1111-2222, １３９, 一三九, 幺三九."""
    return re.sub(r"\D", "", written.translate(FULL_WIDTH_AS_ASCII).translate(READ_OUT_AS_ASCII))


def _own_phone(match: re.Match[str], phone: str) -> str | None:
    """A digit run holding the complainant's number however it is grouped (+86 139-1111-2222) goes."""
    if match.group("date") or phone not in _digits(match.group(0)):
        return None
    return PHONE


def _number(match: re.Match[str]) -> str | None:
    """A digit run: a date stays; one long enough to call or to identify someone goes."""
    if match.group("date"):
        return None
    digits = _digits(match.group(0))
    if len(digits) < SHORTEST_NUMBER:
        return None
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
