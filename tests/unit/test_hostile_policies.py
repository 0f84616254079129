"""Hostile policy files: whatever a manager (or a broken editor) saves, `desk policy check`
answers with located problems (`file:line: key: message`), never a traceback.

Hypothesis takes the shipped property policy and breaks it: a value replaced by one of the
wrong type, a negative or absurd duration, a state or trigger that does not exist, an unknown
time zone; a key removed; the whole document not a mapping.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desk.commands.policy import _summary
from policies import PolicyError
from policies.policy import SHIPPED

pytestmark = pytest.mark.unit
SHIPPED_PROPERTY = yaml.safe_load((SHIPPED / "property.yaml").read_text(encoding="utf-8"))
LOCATED = re.compile(r":\d+: ")  # file:line: ...

HOSTILE_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-10**12, max_value=10**12), st.floats(allow_nan=True),
    st.text(max_size=30), st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(),
                                                                               max_size=2),
    st.sampled_from(["-3 days", "0 minutes", "99999999 working days", "4 fortnights", "2 working", "days",
                     "Mars/Olympus_Mons", "nowhere", "escalated", "to_closed", "+500%", "-101%", "25:61"]),
)


def key_paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in the document a value sits, as a key path."""
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += key_paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += key_paths(value, (*prefix, index))
    return found


PLACES = key_paths(SHIPPED_PROPERTY)
TALLY: Counter[str] = Counter()


@pytest.fixture(scope="module", autouse=True)
def _report() -> Iterator[None]:
    yield  # tracebacks are counted as they happen: each also fails its example
    print(f"\nhostile policies: {TALLY['tried']} broken variants tried, {TALLY['refused']} refused with located "
          f"problems, {TALLY['valid']} still valid, {TALLY['tracebacks']} tracebacks")


def _broken(document: Any, place: tuple[Any, ...], action: str, value: Any) -> Any:
    if action == "not a mapping":
        return value
    copy = yaml.safe_load(yaml.safe_dump(document))
    parent = copy
    for key in place[:-1]:
        parent = parent[key]
    if action == "remove" and isinstance(parent, dict):
        del parent[place[-1]]
    else:
        parent[place[-1]] = value
    return copy


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(place=st.sampled_from(PLACES), action=st.sampled_from(["replace", "replace", "remove", "not a mapping"]),
       value=HOSTILE_VALUES)
def test_a_broken_policy_is_refused_with_located_problems_never_a_traceback(
        tmp_path: Path, place: tuple[Any, ...], action: str, value: Any) -> None:
    path = tmp_path / "property.yaml"
    path.write_text(yaml.safe_dump(_broken(SHIPPED_PROPERTY, place, action, value), allow_unicode=True),
                    encoding="utf-8")
    TALLY["tried"] += 1
    try:
        _summary(path)  # what `desk policy check` runs per file; a slip of a hostile value may still be valid
        TALLY["valid"] += 1
    except PolicyError as error:
        TALLY["refused"] += 1
        assert error.problems, "refused without saying why"
        for problem in error.problems:
            assert str(path) in str(problem) and LOCATED.search(str(problem)), f"not located: {problem}"
    except Exception:
        TALLY["tracebacks"] += 1
        raise
