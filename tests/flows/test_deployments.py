"""deployments/prefect.yaml (work pools) and deployments/serve.py (one machine) declare the same things."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import yaml
from prefect import Flow

from deployments.serve import deployments

pytestmark = pytest.mark.unit

PREFECT_YAML = Path(__file__).parents[2] / "deployments" / "prefect.yaml"


def test_prefect_yaml_and_serve_declare_the_same_deployments() -> None:
    declared = yaml.safe_load(PREFECT_YAML.read_text(encoding="utf-8"))["deployments"]
    served = {d.name: d for d in deployments()}
    assert {d["name"] for d in declared} == set(served)
    for spec in declared:
        path, function = spec["entrypoint"].split(":")
        flow = getattr(importlib.import_module(path.removesuffix(".py").replace("/", ".")), function)
        assert isinstance(flow, Flow)
        twin = served[spec["name"]]
        assert twin.flow_name == flow.name and set(twin.tags) == set(spec["tags"])
        assert twin.parameters == spec["parameters"]
        assert [s["timezone"] for s in spec["schedules"]] == ["Asia/Shanghai"]
        assert all(s.schedule.timezone == "Asia/Shanghai" for s in twin.schedules)
