"""deployments/prefect.yaml (a work pool) and deployments/serve.py (one machine) declare the same
deployments, with the schedules the policies' `orchestration:` sections give."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest
import yaml
from prefect import Flow
from prefect.client.schemas.schedules import CronSchedule, IntervalSchedule

from deployments.pool import declared_queues
from deployments.serve import deployments
from desk.lanes import LANES

pytestmark = pytest.mark.unit

PREFECT_YAML = Path(__file__).parents[2] / "deployments" / "prefect.yaml"


def _schedule(spec: dict[str, Any]) -> tuple[str, object, str]:
    if "interval" in spec:
        return ("interval", float(spec["interval"]), spec["timezone"])
    return ("cron", spec["cron"], spec["timezone"])


def _served_schedule(schedule: object) -> tuple[str, object, str]:
    if isinstance(schedule, IntervalSchedule):
        return ("interval", schedule.interval.total_seconds(), str(schedule.timezone))
    assert isinstance(schedule, CronSchedule), schedule
    return ("cron", schedule.cron, str(schedule.timezone))


def test_prefect_yaml_and_serve_declare_the_same_deployments() -> None:
    declared = yaml.safe_load(PREFECT_YAML.read_text(encoding="utf-8"))["deployments"]
    served = {(d.flow_name, d.name): d for group in deployments().values() for d in group}
    flows = {}
    for spec in declared:
        path, function = spec["entrypoint"].split(":")
        flow = getattr(importlib.import_module(path.removesuffix(".py").replace("/", ".")), function)
        assert isinstance(flow, Flow)
        flows[(flow.name, spec["name"])] = spec
    assert set(flows) == set(served)
    for key, spec in flows.items():
        twin = served[key]
        assert set(twin.tags) == set(spec["tags"]), key
        assert twin.parameters == spec["parameters"], key
        assert sorted(_schedule(s) for s in spec["schedules"]) == sorted(
            _served_schedule(s.schedule) for s in twin.schedules), f"{key}: prefect.yaml's schedule differs from " \
                                                                   "the policies' orchestration (deployments/serve.py)"
        limit = twin.concurrency_limit
        assert (limit if isinstance(limit, int | None) else limit.limit) == spec.get("concurrency_limit"), key


def test_each_lane_has_its_deployment_on_its_tiers_queue_with_its_tags() -> None:
    declared = yaml.safe_load(PREFECT_YAML.read_text(encoding="utf-8"))["deployments"]
    by_name = {(spec["entrypoint"].split(":")[1], spec["name"]): spec for spec in declared}
    for lane in LANES:
        function = "escalations" if lane.job == "escalations" else "revisit_callbacks"
        spec = by_name[(function, lane.tier)]
        assert spec["work_pool"]["work_queue_name"] == lane.tier
        assert {f"tier:{lane.tier}", "property", "enterprise"} <= set(spec["tags"])
        assert spec["parameters"]["tier"] == lane.tier and spec["concurrency_limit"] == 1
    # Urgent first when workers are saturated; each queue capped, so urgent keeps room of its own.
    queues = {q.name: q for q in declared_queues()}
    assert [(q.name, q.priority) for q in sorted(queues.values(), key=lambda q: q.priority)] == [
        ("urgent", 1), ("important", 2), ("general", 3)]
    assert all(q.concurrency_limit for q in queues.values())


def test_the_shipped_schedules_follow_the_tiers() -> None:
    """Urgent swept every 15 s, important every minute, general every 5 minutes; callbacks in
    business hours (09:00 to the later of the two families' closing times, 18:30)."""
    served = {(d.flow_name, d.name): d for group in deployments().values() for d in group}
    every = {tier: served[("escalations", tier)].schedules[0].schedule for tier in ("urgent", "important", "general")}
    assert {tier: _served_schedule(s)[1] for tier, s in every.items()} == {
        "urgent": 15.0, "important": 60.0, "general": 300.0}
    callbacks = [_served_schedule(s.schedule)[1] for s in served[("revisit-callbacks", "general")].schedules]
    assert callbacks == ["*/5 9-17 * * *", "0-29/5 18 * * *"]
