"""A tier's `orchestration:` section: how often Prefect sweeps it, as managers write it, the
defaults when they do not, a mistake reported at its line, and the schedules the deployments
take from it."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from deployments.schedules import business_hours_cron, schedules_for
from desk.lanes import Lane
from policies import PolicyError, load_policy
from policies.orchestration import DEFAULTS, Every, parse_every
from policies.policy import SHIPPED, shipped_policy
from states import Tier

pytestmark = pytest.mark.unit
SHIPPED_TEXT = (SHIPPED / "property.yaml").read_text(encoding="utf-8")
URGENT_EVERY = "      escalations: every 15 seconds  # our choice"


@pytest.mark.parametrize(("written", "seconds"), [
    ("every 15 seconds", 15), ("15s", 15), ("every minute", 60), ("every 5 minutes", 300), ("1 hour", 3600),
    ("Every 90 Seconds", 90), ("every 5 s", 5)])
def test_sweep_intervals_as_managers_write_them(written: str, seconds: int) -> None:
    assert parse_every(written) == Every(seconds)


@pytest.mark.parametrize(("written", "said"), [
    ("every 2 seconds", "'every 2 seconds' is outside 5 seconds to 1 hour"),
    ("every 2 hours", "'every 2 hours' is outside 5 seconds to 1 hour"),
    ("every working day", "expected an interval like 'every 15 seconds'"),
    ("soon", "expected an interval like 'every 15 seconds'"),
    (15, "expected an interval like 'every 15 seconds'")])
def test_intervals_that_cannot_be_a_sweep_say_why(written: object, said: str) -> None:
    with pytest.raises(ValueError, match="^" + said.replace("(", r"\(")):
        parse_every(written)


def test_each_interval_reads_back_as_written() -> None:
    assert [str(Every(s)) for s in (15, 60, 300, 90, 3600)] == [
        "every 15 seconds", "every minute", "every 5 minutes", "every 90 seconds", "every hour"]


def test_the_shipped_tiers_and_the_defaults() -> None:
    policy = shipped_policy("property")
    assert [(p.escalations.seconds, p.callbacks.seconds, p.callbacks_in)
            for p in (policy.orchestration(t) for t in Tier)] == [
        (15, 300, "business_hours"), (60, 300, "business_hours"), (300, 300, "business_hours")]
    assert all(policy.orchestration(t) == DEFAULTS[t] for t in Tier)  # written out as the defaults say
    # Quiet hours: an urgent complaint's notices go at once; the others wait for business hours.
    assert [policy.orchestration(t).notices_in for t in Tier] == ["any_time", "business_hours", "business_hours"]


def test_a_tier_without_the_section_takes_the_defaults_and_a_key_left_out_too(tmp_path: Path) -> None:
    text = SHIPPED_TEXT.replace(URGENT_EVERY, "      escalations: every 30 seconds  # ours", 1)
    text = text.replace("      callbacks_in: business_hours   # 12345: callback the day after completion;",
                        "      # callbacks_in left out:", 1)
    path = tmp_path / "property.yaml"
    path.write_text(text, encoding="utf-8")
    urgent = load_policy(path).orchestration("urgent")
    assert (urgent.escalations, urgent.callbacks_in) == (Every(30), DEFAULTS[Tier.URGENT].callbacks_in)


def test_a_bad_interval_is_reported_at_its_line(tmp_path: Path) -> None:
    line = next(n for n, text in enumerate(SHIPPED_TEXT.splitlines(), 1) if text.startswith(URGENT_EVERY))
    path = tmp_path / "property.yaml"
    path.write_text(SHIPPED_TEXT.replace(URGENT_EVERY, "      escalations: every 2 seconds  # too eager", 1),
                    encoding="utf-8")
    with pytest.raises(PolicyError) as refused:
        load_policy(path)
    assert [str(p) for p in refused.value.problems] == [
        f"{path}:{line}: tiers.urgent.orchestration.escalations: 'every 2 seconds' is outside 5 seconds to 1 hour: "
        "an interval like 'every 15 seconds', 'every minute' or 'every 5 minutes' (5 seconds to 1 hour)"]


@pytest.mark.parametrize(("opens", "closes", "every", "lines"), [
    (time(9), time(18), 300, ["*/5 9-17 * * *"]),
    (time(9), time(18, 30), 300, ["*/5 9-17 * * *", "0-29/5 18 * * *"]),
    (time(9, 30), time(18), 60, ["30-59/1 9 * * *", "* 10-17 * * *"]),
    (time(9), time(10), 30, ["* 9 * * *"]),  # faster than a minute: cron's finest is every minute
    (time(9), time(18), 3600, ["0 9-17 * * *"]),
    (time(9, 30), time(10, 15), 3600, ["0 10 * * *"]),
    (time(9, 10), time(9, 50), 3600, []),  # no hour strikes while open: no hourly sweep
])
def test_business_hours_become_cron_lines(opens: time, closes: time, every: int, lines: list[str]) -> None:
    assert business_hours_cron(opens, closes, every) == lines


def test_a_deployment_takes_the_more_demanding_of_the_two_families() -> None:
    policies = [shipped_policy("property"), shipped_policy("enterprise")]
    (urgent,) = schedules_for(Lane("urgent", "escalations"), policies)
    assert urgent.interval.total_seconds() == 15  # type: ignore[union-attr]
    callbacks = schedules_for(Lane("general", "callbacks"), policies)  # enterprise closes at 18:30
    assert [s.cron for s in callbacks] == ["*/5 9-17 * * *", "0-29/5 18 * * *"]  # type: ignore[union-attr]
