"""Escalation ladders that mix shares of the stage (`-20%`) with fixed times (`-10 minutes`):
their order is only known on a given deadline. Generated ladders on the property policy's
urgent tier are checked against a plain oracle: a ladder is accepted exactly when, on every
deadline of that tier it escalates, its levels fall in time order and no step before the
deadline is longer than the stage. Refusals point at a step of that ladder, never a traceback.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from fractions import Fraction
from itertools import pairwise
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policies import PolicyError, load_policy, shipped_policy
from policies.policy import SHIPPED

pytestmark = pytest.mark.unit

SHIPPED_DOC = yaml.safe_load((SHIPPED / "property.yaml").read_text(encoding="utf-8"))
POLICY = shipped_policy("property")
# The stages an urgent complaint is escalated on once classified (triage and acknowledge end
# with classification), and the urgent types' own lengths for them: the oracle's deadlines.
ESCALATED = ("dispatch", "investigate", "resolve", "feed_back")
LENGTHS = sorted({POLICY.duration_for(key, "urgent", stage)[0].minutes  # type: ignore[index]
                  for key, spec in POLICY.spec.types.items() if spec.tier == "urgent"
                  for stage in ESCALATED if POLICY.duration_for(key, "urgent", stage) is not None})

Step = tuple[int, str, int]  # sign, "percent" or "minutes", size


def test_the_oracle_knows_the_urgent_deadlines() -> None:
    assert LENGTHS == [5, 15, 120, 1440]  # lift entrapment dispatch, dispatch, investigate/feed back, resolve


def _minutes_from_deadline(step: Step, length: int) -> Fraction:
    sign, kind, size = step
    return sign * (Fraction(size, 100) * length if kind == "percent" else Fraction(size))


def _fits(ladder: list[Step]) -> bool:
    for length in LENGTHS:
        places = [_minutes_from_deadline(step, length) for step in ladder]
        if any(b <= a for a, b in pairwise(places)):
            return False
        if any(sign < 0 and kind == "minutes" and size >= length for sign, kind, size in ladder):
            return False
    return True


def _text(step: Step) -> str | int:
    sign, kind, size = step
    if sign == 0:
        return 0
    mark = "-" if sign < 0 else "+"
    if kind == "percent":
        return f"{mark}{size}%"
    return f"{mark}{size // 60} hours" if size % 60 == 0 else f"{mark}{size} minutes"


STEPS = st.one_of(
    st.tuples(st.just(-1), st.just("percent"), st.integers(1, 99)),
    st.tuples(st.just(-1), st.just("minutes"), st.sampled_from([1, 2, 3, 4, 5, 10, 15, 30, 60, 120, 240])),
    st.tuples(st.just(1), st.just("percent"), st.integers(1, 300)),
    st.tuples(st.just(1), st.just("minutes"), st.sampled_from([1, 5, 30, 60, 120, 240, 1440])),
)


@st.composite
def ladders(draw: st.DrawFn) -> list[Step]:
    """Distinct steps, put in time order on one of the deadlines (so that most are in order on
    some deadline, and the question is whether they stay so on the others)."""
    steps = draw(st.lists(STEPS, min_size=1, max_size=4, unique=True))
    if draw(st.booleans()):
        steps.append((0, "at", 0))
    on = draw(st.sampled_from(LENGTHS))
    return sorted(steps, key=lambda step: _minutes_from_deadline(step, on))


@pytest.fixture(scope="module")
def outcomes() -> Iterator[Counter[str]]:
    seen: Counter[str] = Counter()
    yield seen
    print(f"\nmixed ladders on the urgent tier: {sum(seen.values())} tried, {dict(seen)}")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ladder=ladders())
def test_mixed_ladders_are_refused_exactly_when_they_do_not_climb_on_some_deadline(
        tmp_path: Path, outcomes: Counter[str], ladder: list[Step]) -> None:
    doc = {**SHIPPED_DOC, "tiers": {**SHIPPED_DOC["tiers"], "urgent": {**SHIPPED_DOC["tiers"]["urgent"], "escalation": [
        {"at": _text(step), "notify": ["handler"], "action": f"level_{n}"} for n, step in enumerate(ladder, 1)]}}}
    path = tmp_path / "property.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    try:
        load_policy(path)
    except PolicyError as error:
        outcomes["refused"] += 1
        assert not _fits(ladder), f"{[_text(s) for s in ladder]} climbs on {LENGTHS} but was refused: {error}"
        (problem,) = error.problems
        assert problem.key.startswith("tiers.urgent.escalation[") and problem.key.endswith("].at")
        assert problem.line is not None and "level " in problem.message
    else:
        outcomes["accepted"] += 1
        assert _fits(ladder), f"{[_text(s) for s in ladder]} is out of order on one of {LENGTHS} but was accepted"
