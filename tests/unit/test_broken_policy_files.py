"""One of each kind of broken file, and the one line a manager reads about it: file, line, key
and what is wrong. The hypothesis suites (test_hostile_*.py) try thousands of variants for
tracebacks; these pin down the sentence for each kind. Where the words are the YAML parser's
or Python's, only our part is asserted: the place, and how we frame them."""

from __future__ import annotations

from pathlib import Path

import pytest

from policies import PolicyError, load_policy
from policies.policy import SHIPPED

pytestmark = pytest.mark.unit
SHIPPED_TEXT = (SHIPPED / "property.yaml").read_text(encoding="utf-8")
TIMEZONE = "timezone: Asia/Shanghai"  # line 8 of the shipped property policy


def _refused(tmp_path: Path, text: str | bytes) -> tuple[Path, list[str]]:
    path = tmp_path / "property.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError) as refused:
        load_policy(path)
    return path, [str(problem) for problem in refused.value.problems]


def _with(replacement: str) -> str:
    return SHIPPED_TEXT.replace(TIMEZONE, replacement, 1)


def test_a_value_that_contains_itself(tmp_path: Path) -> None:
    path, said = _refused(tmp_path, _with("timezone: &loop [a, *loop]"))
    assert said == [f"{path}:8: timezone[1]: *loop is inside the value it names (&loop at line 8): "
                    "a value cannot contain itself"]


def test_an_alias_bomb(tmp_path: Path) -> None:
    levels = "\n".join(f"x{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 6))
    path, said = _refused(tmp_path, _with(f"{TIMEZONE}\nx0: &a0 [{', '.join(['q'] * 10)}]\n{levels}"))
    assert said == [f"{path}:13: x4: holds more than 100,000 values (each alias counted as a copy of what it "
                    "names); a policy holds a few hundred"]


def test_an_enormous_value_and_an_enormous_key(tmp_path: Path) -> None:
    path, said = _refused(tmp_path, _with("timezone: " + "z" * 1500))
    assert said == [f"{path}:8: timezone: a value of 1,500 characters; policy files allow at most 1,000"]
    path, said = _refused(tmp_path, _with(f"{TIMEZONE}\n? {'k' * 1200}\n: 1"))
    assert said == [f"{path}:9: a key of 1,200 characters; policy files allow at most 1,000"]


def test_yaml_that_does_not_parse_names_where_it_began_and_where_it_broke(tmp_path: Path) -> None:
    path, (said,) = _refused(tmp_path, _with("timezone: [Asia/Shanghai,\n\nfoo: bar"))
    assert said.startswith(f"{path}:11: not valid YAML: ") and "(line 8), " in said  # opened on 8, broke on 11


def test_a_control_character_is_named_at_its_line(tmp_path: Path) -> None:
    path, said = _refused(tmp_path, _with("timezone: Asia/Sh\x07anghai"))
    assert said == [f"{path}:8: not valid YAML: the character U+0007 is not allowed in YAML text (a binary file?)"]


def test_a_date_that_does_not_exist(tmp_path: Path) -> None:
    path, (said,) = _refused(tmp_path, _with("timezone: 2026-02-30"))
    assert said.startswith(f"{path}:8: not valid YAML: cannot read '2026-02-30' as timestamp: ")


def test_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    text = _with(f"{TIMEZONE}\n# café").encode("utf-8").replace("é".encode(), b"\xe9")  # saved as Latin-1
    path, said = _refused(tmp_path, text)
    at = text.index(b"\xe9")
    assert said == [f"{path}:9: not UTF-8 text (invalid continuation byte at byte {at:,})"]


@pytest.mark.parametrize(
    ("written", "said"),
    [("2026.11", "version: the version must be text such as '2026.11-1' (quote it in YAML), got 2026.11"),
     ("", "version: the version must be text such as '2026.11-1' (quote it in YAML), got None")],
)
def test_a_version_that_is_not_text(tmp_path: Path, written: str, said: str) -> None:
    path, problems = _refused(tmp_path, SHIPPED_TEXT.replace('version: "2026.11-3"', f"version: {written}", 1))
    assert any(p.startswith(f"{path}:6: ") and p.endswith(said) for p in problems), problems
